#include "actors/verifier/verifier_actor.hpp"

#include "actors/verifier/verifier_state.hpp"

#include "hardware/host/machine_peaks.hpp"
#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/scoring.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <set>

namespace kforge::actors {

using namespace detail;

namespace detail {

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

void account(verifier_state& st) {
  st.schedule.account(ms_since(st.started));
}

job_ptr job_of(verifier_state& st, job_id id) {
  auto it = st.jobs.find(id);
  return it == st.jobs.end() ? nullptr : it->second;
}

void finish_job(verifier_pointer self, const job_ptr& j, caf::expected<kforge::verdict> result) {
  auto& st = self->state;
  st.jobs.erase(j->id);
  auto it = st.in_flight.find(j->key);
  if (it != st.in_flight.end() && it->second == j)
    st.in_flight.erase(it);
  if (!result) {
    for (auto& p : j->promises)
      p.deliver(result.error());
    return;
  }
  result->compile_ms = j->compile_ms;
  // What the task gained decides how soon its next candidates compile (verify_schedule).
  if (result->feasible && result->is_timed())
    st.schedule.gains().observe(j->request.task_id, result->timing.median_ns);
  else
    st.schedule.gains().observe_failure(j->request.task_id);
  if (st.cfg.verdict_cache)
    st.verdicts.put(j->key, *result);
  if (st.cfg.object_cache && !j->object_key.empty())
    st.objects.put(j->object_key, *result);
  st.stats.completed += static_cast<int64_t>(j->promises.size());
  for (auto& p : j->promises)
    p.deliver(verification{*result, j->key, false});
}

}  // namespace detail

namespace {

std::string micros_text(double ns) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.3f us", ns / 1e3);
  return buf;
}

void release_build(verifier_pointer self, hardware::build_result built) {
  if (!built.ok)
    return;
  self->send(self->state.runner, caf::delete_atom_v, std::move(built));
}

void maybe_quit(verifier_pointer self) {
  auto& st = self->state;
  if (!st.schedule.is_drained())
    return;
  for (auto& [key, built] : st.builds.clear())
    st.backend->discard(built);  // the workers are stopping
  for (const auto& c : st.compilers)
    self->send_exit(c, caf::exit_reason::user_shutdown);
  self->send_exit(st.runner, caf::exit_reason::user_shutdown);
  self->quit();
}

// True if `v` (just run, once) is flagged by its backend or faster than the pool's
// flag_speedup times the reference: it is re-measured before it is answered.
bool needs_remeasure(const verifier_state& st, const std::string& task_id, const kforge::verdict& v) {
  if (!v.is_timed())
    return false;
  if (v.flagged)
    return true;
  if (st.cfg.flag_speedup <= 0)
    return false;
  auto p = st.prep.find(task_id);
  double reference =
      v.reference_ns > 0 ? v.reference_ns : (p == st.prep.end() ? 0 : p->second.timing.median_ns);
  return kforge::speedup(reference, v.timing.median_ns) > st.cfg.flag_speedup;
}

void start_run_stage(verifier_pointer self) {
  auto& st = self->state;
  auto pick = st.schedule.start_run();
  if (pick.what == run_pick::kind::idle)
    return;
  auto started = clock_type::now();
  if (pick.what == run_pick::kind::reference) {
    start_reference_run(self, pick, started);
    return;
  }
  if (pick.what == run_pick::kind::measure) {
    auto id = pick.job;
    auto measured = [=](caf::expected<interleaved_timing> result) {
      auto& s = self->state;
      account(s);
      s.schedule.run_done();
      s.stats.run_busy_ms += ms_since(started);
      if (auto m = s.measures.find(id); m != s.measures.end()) {
        if (result)
          m->second.promise.deliver(std::move(*result));
        else
          m->second.promise.deliver(result.error());
        s.measures.erase(m);
      }
      pump(self);
    };
    auto m = st.measures.find(id);
    if (m == st.measures.end()) {
      st.schedule.run_done();  // unreachable: the schedule hands out only queued measurements
      return;
    }
    self->request(st.runner, caf::infinite, remeasure_atom_v, m->second.request, m->second.rounds)
        .then([=](interleaved_timing& t) { measured(std::move(t)); },
              [=](caf::error& err) { measured(err); });
    return;
  }
  auto j = job_of(st, pick.job);
  if (!j) {
    // Unreachable: the schedule hands out only jobs of the table. Free the stage anyway.
    st.schedule.run_done();
    return;
  }
  auto done = [=](caf::expected<kforge::verdict> result) {
    auto& s = self->state;
    account(s);
    s.schedule.run_done();
    s.stats.run_busy_ms += ms_since(started);
    if (!result)
      s.log.error("run stage failed", {{"task", j->request.task_id},
                                       {"cand", short_id(j->request.cand_hash)},
                                       {"error", describe(result.error())}});
    else if (result->run_ms <= 0)
      result->run_ms = ms_since(started);
    if (result && !j->remeasuring && needs_remeasure(s, j->request.task_id, *result)) {
      // Too good to take on one run: once more in a fresh process before anyone sees it.
      j->remeasuring = true;
      j->first = std::move(*result);
      s.stats.remeasured += 1;
      s.schedule.rerun(j->id);
      pump(self);
      return;
    }
    if (result && j->remeasuring) {
      auto run_ms = j->first.run_ms + result->run_ms;
      auto judged = judge_remeasurement(std::move(j->first), *result, s.cfg.noise);
      judged.run_ms = run_ms;
      if (judged.is_suspect()) {
        s.stats.suspect += 1;
        s.log.warning("speedup did not hold", {{"task", j->request.task_id},
                                               {"cand", short_id(j->request.cand_hash)},
                                               {"first_ns", judged.first_timing.median_ns},
                                               {"second_ns", judged.timing.median_ns}});
      }
      result = std::move(judged);
    }
    // Keep the binary for a re-run while the compile cache has room.
    for (auto& [key, old] : s.builds.put(j->key, j->built))
      release_build(self, std::move(old));
    finish_job(self, j, std::move(result));
    pump(self);
  };
  self->request(st.runner, caf::infinite, ran_atom_v, j->request.task_id, j->built)
      .then([=](kforge::verdict& v) { done(std::move(v)); }, [=](caf::error& err) { done(err); });
}

void start_compiles(verifier_pointer self) {
  auto& st = self->state;
  for (const auto& pick : st.schedule.pick_compiles()) {
    auto w = pick.slot;
    if (pick.what == compile_pick::kind::reference) {
      start_reference_build(self, pick);
      continue;
    }
    auto j = job_of(st, pick.job);
    if (!j)
      continue;
    if (auto built = st.builds.take(j->key)) {
      // Built before and kept: straight to the run stage; the job owns the binary now.
      j->built = std::move(*built);
      st.stats.compile_cache_hits += 1;
      st.schedule.compiled(j->id);
      continue;
    }
    st.schedule.compile_started(w);
    auto done = [=](caf::expected<hardware::build_result> result) {
      auto& s = self->state;
      account(s);
      s.schedule.compile_done(w);
      if (!result) {
        finish_job(self, j, result.error());
      } else if (!result->rejected.empty()) {
        finish_job(self, j, kforge::failed_verdict(kforge::gate_hack, result->rejected, s.backend->device()));
      } else if (!result->ok) {
        j->compile_ms = result->wall_ms;
        finish_job(self, j,
                   kforge::failed_verdict(kforge::gate_compile, result->output, s.backend->device()));
      } else {
        j->compile_ms = result->wall_ms;
        j->built = std::move(*result);
        if (s.cfg.object_cache && !j->built.object_hash.empty()) {
          content_hasher h;
          h.add(s.signature).add(s.tasks->at(j->request.task_id).definition_hash).add(j->built.object_hash);
          j->object_key = h.finish();
        }
        if (const auto* same = j->object_key.empty() ? nullptr : s.objects.find(j->object_key)) {
          // The same machine code was judged before: its verdict, not a second timing of it.
          s.stats.object_hits += 1;
          auto v = *same;
          release_build(self, std::move(j->built));
          finish_job(self, j, std::move(v));
        } else {
          s.schedule.compiled(j->id);
        }
      }
      pump(self);
    };
    self->request(st.compilers[w], caf::infinite, compiled_atom_v, j->request.task_id, j->request.cand_hash,
                  j->request.source)
        .then([=](hardware::build_result& b) { done(std::move(b)); }, [=](caf::error& err) { done(err); });
  }
}

}  // namespace

void detail::pump(verifier_pointer self) {
  start_run_stage(self);
  start_compiles(self);
  // A compile-cache hit goes straight to the run queue: start it if the stage is free.
  start_run_stage(self);
  maybe_quit(self);
}

namespace {

// The verdict of `key` from the memory cache or the store, if there is one.
std::optional<kforge::verdict> cached_verdict(verifier_state& st, const std::string& key) {
  if (!st.cfg.verdict_cache)
    return std::nullopt;
  if (const auto* v = st.verdicts.find(key))
    return *v;
  if (st.store == nullptr)
    return std::nullopt;
  auto tx = st.store->read();
  if (!tx)
    return std::nullopt;
  auto hash = memory::get_verdict_ref(*tx, key);
  if (!hash)
    return std::nullopt;
  auto cand = memory::get_candidate(*tx, *hash);
  if (!cand)
    return std::nullopt;
  st.verdicts.put(key, cand->verdict);
  return cand->verdict;
}

caf::result<verification> on_verify(verifier_pointer self, verify_request& req) {
  auto& st = self->state;
  account(st);
  auto it = st.tasks->find(req.task_id);
  if (it == st.tasks->end())
    return make_error(errc::bad_request, "unknown task " + req.task_id);
  if (st.schedule.is_draining())
    return make_error(errc::cancelled, "the verifier is draining");
  auto key = verdict_key(st.signature, it->second.definition_hash, req.source);
  if (auto v = cached_verdict(st, key)) {
    st.stats.cache_hits += 1;
    st.stats.completed += 1;
    return verification{std::move(*v), key, true};
  }
  // A response promise takes over the reply: make it only once the request is accepted.
  auto joined = st.cfg.coalesce ? st.in_flight.find(key) : st.in_flight.end();
  if (joined != st.in_flight.end()) {
    auto promise = self->make_response_promise<verification>();
    joined->second->promises.push_back(promise);
    st.stats.coalesced += 1;
    return promise;
  }
  if (st.schedule.is_full())
    return make_error(errc::queue_full, "the verifier queue holds " + std::to_string(st.cfg.max_queue));
  if (st.schedule.status(req.task_id) == prep_status::failed)
    return st.prep[req.task_id].failure;
  auto promise = self->make_response_promise<verification>();
  auto j = std::make_shared<job>();
  j->id = st.next_job++;
  st.schedule.add(j->id, req.task_id);
  st.jobs[j->id] = j;
  j->request = std::move(req);
  j->key = key;
  j->promises.push_back(promise);
  if (st.cfg.coalesce)
    st.in_flight[key] = j;
  pump(self);
  return promise;
}

// A stopping task takes back its candidates that have not started (queued to compile, or
// compiled and waiting for the run stage): each is answered errc::cancelled and never runs, so
// a stop does not wait for a deep queue. Compiling and running ones finish. A job that another
// request joined (coalesced) stays: someone else still waits for it.
void withdraw(verifier_pointer self, const std::string& task_id, const std::set<std::string>& hashes) {
  auto& st = self->state;
  account(st);
  std::vector<job_ptr> gone;
  for (const auto& [id, j] : st.jobs)
    if (j->request.task_id == task_id && j->promises.size() == 1 && hashes.count(j->request.cand_hash) > 0 &&
        st.schedule.withdraw(id))
      gone.push_back(j);
  for (const auto& j : gone) {
    release_build(self, std::move(j->built));  // compiled and waiting: its binary goes
    finish_job(self, j, make_error(errc::cancelled, "withdrawn: its task stopped"));
  }
  if (!gone.empty())
    st.log.info("withdrawn", {{"task", task_id}, {"candidates", static_cast<int64_t>(gone.size())}});
  pump(self);
}

verifier_actor::behavior_type verifier_behavior(verifier_pointer self,
                                                std::shared_ptr<hardware::backend> backend,
                                                std::shared_ptr<const kforge::task_map> tasks,
                                                verifier_config cfg, const memory::store* store,
                                                reference_sink sink) {
  auto& st = self->state;
  st.backend = std::move(backend);
  st.tasks = std::move(tasks);
  st.cfg = cfg;
  st.store = store;
  st.sink = std::move(sink);
  st.signature = st.backend->build_signature();
  st.reference_signature = reference_signature(*st.backend);
  st.verdicts = lru_cache<kforge::verdict>{static_cast<size_t>(std::max(0, cfg.verdict_cache_entries))};
  st.builds = lru_cache<hardware::build_result>{static_cast<size_t>(std::max(0, cfg.compile_cache_entries))};
  st.objects = lru_cache<kforge::verdict>{static_cast<size_t>(std::max(0, cfg.verdict_cache_entries))};
  st.stats.device = st.backend->device();
  auto jobs = static_cast<size_t>(std::max(1, cfg.compile_jobs));
  st.schedule = verify_schedule{jobs, cfg.max_queue};
  st.schedule.set_quiet_runs(cfg.quiet_runs);
  account(st);
  auto own_threads = cfg.detached && st.backend->blocks();
  for (size_t i = 0; i < jobs; ++i)
    st.compilers.push_back(
        own_threads ? self->spawn<caf::detached + caf::linked>(detail::compile_worker_behavior, st.backend,
                                                               st.tasks, store, st.reference_signature)
                    : self->spawn<caf::linked>(detail::compile_worker_behavior, st.backend, st.tasks, store,
                                               st.reference_signature));
  st.runner = own_threads ? self->spawn<caf::detached + caf::linked>(detail::run_worker_behavior, st.backend,
                                                                     st.tasks)
                          : self->spawn<caf::linked>(detail::run_worker_behavior, st.backend, st.tasks);
  return {
      [self](verify_atom, verify_request& req) -> caf::result<verification> { return on_verify(self, req); },
      [self](reference_atom, const std::string& task_id) -> caf::result<kforge::timing_stats> {
        auto& s = self->state;
        account(s);
        if (s.tasks->count(task_id) == 0)
          return make_error(errc::bad_request, "unknown task " + task_id);
        auto& p = s.prep[task_id];
        auto status = s.schedule.status(task_id);
        if (status == prep_status::ready)
          return p.timing;
        if (status == prep_status::failed)
          return p.failure;
        auto promise = self->make_response_promise<kforge::timing_stats>();
        p.waiting.push_back(promise);
        s.schedule.ensure_prepared(task_id);
        pump(self);
        return promise;
      },
      [self](remeasure_atom, verify_request& req, int32_t rounds) -> caf::result<interleaved_timing> {
        auto& s = self->state;
        account(s);
        if (s.tasks->count(req.task_id) == 0)
          return make_error(errc::bad_request, "unknown task " + req.task_id);
        if (rounds < 1)
          return make_error(errc::bad_request,
                            "a final measurement needs at least one round, not " + std::to_string(rounds));
        if (s.schedule.is_draining())
          return make_error(errc::cancelled, "the verifier is draining");
        if (s.schedule.status(req.task_id) == prep_status::failed)
          return s.prep[req.task_id].failure;
        auto id = s.next_job++;
        auto promise = self->make_response_promise<interleaved_timing>();
        s.schedule.add_measure(id, req.task_id);
        s.measures[id] = measure_job{std::move(req), rounds, promise};
        pump(self);
        return promise;
      },
      [self](stats_atom) -> verifier_stats {
        auto& s = self->state;
        account(s);
        auto out = s.stats;
        out.queued = s.schedule.queued();
        out.compiling = s.schedule.compiling();
        out.waiting_run = s.schedule.waiting_run();
        out.running = s.schedule.is_running() ? 1 : 0;
        out.backlog_ms = s.schedule.backlog_ms();
        out.busy_in_backlog_ms = s.schedule.busy_in_backlog_ms();
        out.uptime_ms = ms_since(s.started);
        return out;
      },
      [self](drain_atom) {
        auto& s = self->state;
        s.schedule.drain();
        // A preparation waiting out its backoff, or one not started, is not queued work: give
        // it up now (a stop that waited for references nobody needs ran minutes late on a GPU).
        give_up_retries(self);
        give_up_queued_preparations(self);
        maybe_quit(self);
      },
      [self](retry_atom, const std::string& task_id) { retry_preparation(self, task_id); },
      [self](stop_atom, const std::string& task_id, const std::set<std::string>& hashes) {
        withdraw(self, task_id, hashes);
      },
      [self](load_atom, std::shared_ptr<const kforge::task_map>& catalog) {
        // Workers get the catalog before any job that needs it: messages from one sender stay in order.
        auto& s = self->state;
        for (const auto& c : s.compilers)
          self->send(c, load_atom_v, catalog);
        self->send(s.runner, load_atom_v, catalog);
        s.tasks = std::move(catalog);
      },
  };
}

}  // namespace

kforge::verdict judge_remeasurement(kforge::verdict first, const kforge::verdict& second, double noise) {
  if (!second.is_timed())
    return second;  // it failed a gate in the fresh process (other inputs, another run): that stands
  auto reason = "re-measured in a fresh process: median " + micros_text(first.timing.median_ns) + ", then " +
                micros_text(second.timing.median_ns);
  // One-sided: a second run that is faster only confirms the speedup (the slower figure counts);
  // one slower by more than the noise says the first figure came from something that did not last.
  if (second.timing.median_ns > first.timing.median_ns &&
      kforge::timings_disagree(first.timing, second.timing, noise)) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.0f %%", noise * 100);
    first.first_timing = first.timing;
    first.timing = second.timing;
    first.timings_disagree = true;
    return kforge::suspect_verdict(std::move(first),
                                   reason + ": the speedup did not hold (apart by more than " + buf + ")");
  }
  // It held: the slower of the two figures counts.
  if (second.timing.median_ns > first.timing.median_ns) {
    first.first_timing = first.timing;
    first.timing = second.timing;
  }
  for (auto& g : first.gates)
    if (g.gate == kforge::gate_latency)
      g.detail += (g.detail.empty() ? "" : "; ") + reason + " (held)";
  return first;
}

std::string reference_signature(const hardware::backend& backend) {
  return backend.build_signature() + "; host " + hardware::machine_signature();
}

std::string verdict_key(const std::string& build_signature, const std::string& definition_hash,
                        const std::string& source) {
  content_hasher h;
  h.add(build_signature).add(definition_hash).add(source);
  return h.finish();
}

verifier_actor spawn_verifier(caf::actor_system& sys, std::shared_ptr<hardware::backend> backend,
                              std::shared_ptr<const kforge::task_map> tasks, verifier_config cfg,
                              const memory::store* store, reference_sink sink) {
  return sys.spawn(verifier_behavior, std::move(backend), std::move(tasks), cfg, store, std::move(sink));
}

}  // namespace kforge::actors
