#include "actors/verifier/verifier_actor.hpp"

#include "actors/verifier/lru_cache.hpp"
#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>

namespace kforge::actors {

namespace {

using clock_type = std::chrono::steady_clock;

// Internal stages of the pool; local actors, never published.
using compile_worker = caf::typed_actor<
    caf::replies_to<compiled_atom, std::string, std::string, std::string>::with<hardware::build_result>,
    caf::reacts_to<load_atom, std::shared_ptr<const kforge::task_map>>>;
using run_worker =
    caf::typed_actor<caf::replies_to<reference_atom, std::string>::with<kforge::timing_stats>,
                     caf::replies_to<ran_atom, std::string, hardware::build_result>::with<kforge::verdict>,
                     caf::reacts_to<caf::delete_atom, hardware::build_result>,
                     caf::reacts_to<load_atom, std::shared_ptr<const kforge::task_map>>>;

struct worker_state {
  std::shared_ptr<hardware::backend> backend;
  std::shared_ptr<const kforge::task_map> tasks;
  static inline const char* name = "kforge.verifier.worker";
};

compile_worker::behavior_type compile_worker_behavior(compile_worker::stateful_pointer<worker_state> self,
                                                      std::shared_ptr<hardware::backend> backend,
                                                      std::shared_ptr<const kforge::task_map> tasks) {
  self->state.backend = std::move(backend);
  self->state.tasks = std::move(tasks);
  return {
      [self](compiled_atom, const std::string& task_id, const std::string& cand_id,
             const std::string& source) -> caf::result<hardware::build_result> {
        auto built = self->state.backend->compile(self->state.tasks->at(task_id), source, cand_id);
        if (!built)
          return built.error();
        return std::move(*built);
      },
      [self](load_atom, std::shared_ptr<const kforge::task_map>& catalog) {
        self->state.tasks = std::move(catalog);
      },
  };
}

run_worker::behavior_type run_worker_behavior(run_worker::stateful_pointer<worker_state> self,
                                              std::shared_ptr<hardware::backend> backend,
                                              std::shared_ptr<const kforge::task_map> tasks) {
  self->state.backend = std::move(backend);
  self->state.tasks = std::move(tasks);
  return {
      [self](reference_atom, const std::string& task_id) -> caf::result<kforge::timing_stats> {
        auto prepared = self->state.backend->prepare(self->state.tasks->at(task_id));
        if (!prepared)
          return prepared.error();
        return *prepared;
      },
      [self](ran_atom, const std::string& task_id,
             const hardware::build_result& built) -> caf::result<kforge::verdict> {
        auto v = self->state.backend->run(self->state.tasks->at(task_id), built);
        if (!v)
          return v.error();
        return std::move(*v);
      },
      [self](caf::delete_atom, const hardware::build_result& built) { self->state.backend->discard(built); },
      [self](load_atom, std::shared_ptr<const kforge::task_map>& catalog) {
        self->state.tasks = std::move(catalog);
      },
  };
}

enum class prep_status { none, preparing, ready, failed };

// One distinct candidate in flight; identical requests share it.
struct job {
  verify_request request;
  std::string key;
  std::vector<caf::typed_response_promise<verification>> promises;
  hardware::build_result built;
  double compile_ms = 0;
};

using job_ptr = std::shared_ptr<job>;

struct task_prep {
  prep_status status = prep_status::none;
  kforge::timing_stats timing;
  caf::error failure;
  std::vector<caf::typed_response_promise<kforge::timing_stats>> waiting;
};

struct verifier_state {
  std::shared_ptr<hardware::backend> backend;
  std::shared_ptr<const kforge::task_map> tasks;
  verifier_config cfg;
  const memory::store* store = nullptr;
  std::string signature;
  std::vector<compile_worker> compilers;
  std::vector<bool> compiler_busy;
  run_worker runner;
  bool run_busy = false;
  std::map<std::string, task_prep> prep;
  std::deque<std::string> prep_queue;
  std::deque<job_ptr> compile_queue;
  std::deque<job_ptr> run_queue;
  std::map<std::string, job_ptr> in_flight;  // by verdict key
  lru_cache<kforge::verdict> verdicts{0};
  lru_cache<hardware::build_result> builds{0};
  clock_type::time_point started = clock_type::now();
  clock_type::time_point accounted = clock_type::now();
  verifier_stats stats;
  int32_t compiling = 0;
  bool draining = false;
  log::logger log{"kforge.verifier"};
  static inline const char* name = "kforge.verifier";
};

using verifier_pointer = verifier_actor::stateful_pointer<verifier_state>;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

// Adds the time since the last call to the backlog figures, by the state that
// held during it. Called before every change of queue or run-stage state.
void account(verifier_state& st) {
  auto now = clock_type::now();
  double dt = std::chrono::duration<double, std::milli>(now - st.accounted).count();
  st.accounted = now;
  if (st.compile_queue.empty() && st.run_queue.empty())
    return;
  st.stats.backlog_ms += dt;
  if (st.run_busy)
    st.stats.busy_in_backlog_ms += dt;
}

void pump(verifier_pointer self);

void release_build(verifier_pointer self, hardware::build_result built) {
  if (!built.ok)
    return;
  self->send(self->state.runner, caf::delete_atom_v, std::move(built));
}

void finish_job(verifier_pointer self, const job_ptr& j, caf::expected<kforge::verdict> result) {
  auto& st = self->state;
  auto it = st.in_flight.find(j->key);
  if (it != st.in_flight.end() && it->second == j)
    st.in_flight.erase(it);
  if (!result) {
    for (auto& p : j->promises)
      p.deliver(result.error());
    return;
  }
  result->compile_ms = j->compile_ms;
  if (st.cfg.verdict_cache)
    st.verdicts.put(j->key, *result);
  st.stats.completed += static_cast<int64_t>(j->promises.size());
  for (auto& p : j->promises)
    p.deliver(verification{*result, j->key, false});
}

void maybe_quit(verifier_pointer self) {
  auto& st = self->state;
  if (!st.draining || st.run_busy || st.compiling > 0 || !st.compile_queue.empty() || !st.run_queue.empty() ||
      !st.prep_queue.empty())
    return;
  for (auto& [key, built] : st.builds.clear())
    st.backend->discard(built);  // the workers are stopping
  for (const auto& c : st.compilers)
    self->send_exit(c, caf::exit_reason::user_shutdown);
  self->send_exit(st.runner, caf::exit_reason::user_shutdown);
  self->quit();
}

void ensure_prepared(verifier_pointer self, const std::string& task_id) {
  auto& p = self->state.prep[task_id];
  if (p.status != prep_status::none)
    return;
  p.status = prep_status::preparing;
  self->state.prep_queue.push_back(task_id);
}

void on_prepared(verifier_pointer self, const std::string& task_id,
                 caf::expected<kforge::timing_stats> result) {
  auto& st = self->state;
  auto& p = st.prep[task_id];
  if (result) {
    p.status = prep_status::ready;
    p.timing = *result;
    st.log.info("reference ready", {{"task", task_id}, {"median_ns", p.timing.median_ns}});
    for (auto& w : p.waiting)
      w.deliver(p.timing);
  } else {
    p.status = prep_status::failed;
    p.failure = result.error();
    st.log.error("reference failed", {{"task", task_id}, {"error", describe(p.failure)}});
    for (auto& w : p.waiting)
      w.deliver(p.failure);
    // Candidates of a task without a reference cannot be judged.
    for (auto it = st.compile_queue.begin(); it != st.compile_queue.end();) {
      if ((*it)->request.task_id == task_id) {
        finish_job(self, *it, p.failure);
        it = st.compile_queue.erase(it);
      } else {
        ++it;
      }
    }
  }
  p.waiting.clear();
}

void start_run_stage(verifier_pointer self) {
  auto& st = self->state;
  if (st.run_busy)
    return;
  if (!st.prep_queue.empty()) {
    auto task_id = st.prep_queue.front();
    st.prep_queue.pop_front();
    st.run_busy = true;
    auto started = clock_type::now();
    self->request(st.runner, caf::infinite, reference_atom_v, task_id)
        .then(
            [=](kforge::timing_stats& t) {
              account(self->state);
              self->state.run_busy = false;
              self->state.stats.run_busy_ms += ms_since(started);
              on_prepared(self, task_id, t);
              pump(self);
            },
            [=](caf::error& err) {
              account(self->state);
              self->state.run_busy = false;
              self->state.stats.run_busy_ms += ms_since(started);
              on_prepared(self, task_id, err);
              pump(self);
            });
    return;
  }
  if (st.run_queue.empty())
    return;
  auto j = st.run_queue.front();
  st.run_queue.pop_front();
  st.run_busy = true;
  auto started = clock_type::now();
  auto done = [=](caf::expected<kforge::verdict> result) {
    auto& s = self->state;
    account(s);
    s.run_busy = false;
    s.stats.run_busy_ms += ms_since(started);
    if (!result)
      s.log.error("run stage failed", {{"task", j->request.task_id},
                                       {"cand", short_id(j->request.cand_hash)},
                                       {"error", describe(result.error())}});
    else if (result->run_ms <= 0)
      result->run_ms = ms_since(started);
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
  for (size_t w = 0; w < st.compilers.size(); ++w) {
    if (st.compiler_busy[w])
      continue;
    auto it = std::find_if(st.compile_queue.begin(), st.compile_queue.end(), [&](const job_ptr& j) {
      return st.prep[j->request.task_id].status == prep_status::ready;
    });
    if (it == st.compile_queue.end())
      return;
    auto j = *it;
    st.compile_queue.erase(it);
    if (auto built = st.builds.take(j->key)) {
      // Built before and kept: straight to the run stage; the job owns the binary now.
      j->built = std::move(*built);
      st.stats.compile_cache_hits += 1;
      st.run_queue.push_back(j);
      continue;
    }
    st.compiler_busy[w] = true;
    st.compiling += 1;
    auto done = [=](caf::expected<hardware::build_result> result) {
      auto& s = self->state;
      account(s);
      s.compiler_busy[w] = false;
      s.compiling -= 1;
      if (!result) {
        finish_job(self, j, result.error());
      } else if (!result->ok) {
        j->compile_ms = result->wall_ms;
        finish_job(self, j,
                   kforge::failed_verdict(kforge::gate_compile, result->output, s.backend->device()));
      } else {
        j->compile_ms = result->wall_ms;
        j->built = std::move(*result);
        s.run_queue.push_back(j);
      }
      pump(self);
    };
    self->request(st.compilers[w], caf::infinite, compiled_atom_v, j->request.task_id, j->request.cand_hash,
                  j->request.source)
        .then([=](hardware::build_result& b) { done(std::move(b)); }, [=](caf::error& err) { done(err); });
  }
}

void pump(verifier_pointer self) {
  start_run_stage(self);
  start_compiles(self);
  // A compile-cache hit goes straight to the run queue: start it if the stage is free.
  start_run_stage(self);
  maybe_quit(self);
}

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
  if (st.draining)
    return make_error(errc::cancelled, "the verifier is draining");
  auto key = verdict_key(st.signature, it->second.definition_hash, req.source);
  if (auto v = cached_verdict(st, key)) {
    st.stats.cache_hits += 1;
    st.stats.completed += 1;
    return verification{std::move(*v), key, true};
  }
  auto hack = st.backend->hack_check(it->second, req.source);
  if (!hack.passed) {
    auto v = kforge::failed_verdict(kforge::gate_hack, hack.detail, st.backend->device());
    if (st.cfg.verdict_cache)
      st.verdicts.put(key, v);
    st.stats.completed += 1;
    return verification{std::move(v), key, false};
  }
  // A response promise takes over the reply: make it only once the request is accepted.
  auto joined = st.cfg.coalesce ? st.in_flight.find(key) : st.in_flight.end();
  if (joined != st.in_flight.end()) {
    auto promise = self->make_response_promise<verification>();
    joined->second->promises.push_back(promise);
    st.stats.coalesced += 1;
    return promise;
  }
  if (st.compile_queue.size() + st.run_queue.size() >= static_cast<size_t>(std::max(1, st.cfg.max_queue)))
    return make_error(errc::queue_full, "the verifier queue holds " + std::to_string(st.cfg.max_queue));
  auto& p = st.prep[req.task_id];
  if (p.status == prep_status::failed)
    return p.failure;
  ensure_prepared(self, req.task_id);
  auto promise = self->make_response_promise<verification>();
  auto j = std::make_shared<job>();
  j->request = std::move(req);
  j->key = key;
  j->promises.push_back(promise);
  if (st.cfg.coalesce)
    st.in_flight[key] = j;
  st.compile_queue.push_back(j);
  pump(self);
  return promise;
}

verifier_actor::behavior_type verifier_behavior(verifier_pointer self,
                                                std::shared_ptr<hardware::backend> backend,
                                                std::shared_ptr<const kforge::task_map> tasks,
                                                verifier_config cfg, const memory::store* store) {
  auto& st = self->state;
  st.backend = std::move(backend);
  st.tasks = std::move(tasks);
  st.cfg = cfg;
  st.store = store;
  st.signature = st.backend->build_signature();
  st.verdicts = lru_cache<kforge::verdict>{static_cast<size_t>(std::max(0, cfg.verdict_cache_entries))};
  st.builds = lru_cache<hardware::build_result>{static_cast<size_t>(std::max(0, cfg.compile_cache_entries))};
  st.stats.device = st.backend->device();
  auto jobs = static_cast<size_t>(std::max(1, cfg.compile_jobs));
  for (size_t i = 0; i < jobs; ++i) {
    st.compilers.push_back(
        cfg.detached ? self->spawn<caf::detached + caf::linked>(compile_worker_behavior, st.backend, st.tasks)
                     : self->spawn<caf::linked>(compile_worker_behavior, st.backend, st.tasks));
    st.compiler_busy.push_back(false);
  }
  st.runner = cfg.detached
                  ? self->spawn<caf::detached + caf::linked>(run_worker_behavior, st.backend, st.tasks)
                  : self->spawn<caf::linked>(run_worker_behavior, st.backend, st.tasks);
  return {
      [self](verify_atom, verify_request& req) -> caf::result<verification> { return on_verify(self, req); },
      [self](reference_atom, const std::string& task_id) -> caf::result<kforge::timing_stats> {
        auto& s = self->state;
        account(s);
        if (s.tasks->count(task_id) == 0)
          return make_error(errc::bad_request, "unknown task " + task_id);
        auto& p = s.prep[task_id];
        if (p.status == prep_status::ready)
          return p.timing;
        if (p.status == prep_status::failed)
          return p.failure;
        auto promise = self->make_response_promise<kforge::timing_stats>();
        p.waiting.push_back(promise);
        ensure_prepared(self, task_id);
        pump(self);
        return promise;
      },
      [self](stats_atom) -> verifier_stats {
        auto& s = self->state;
        account(s);
        auto out = s.stats;
        out.queued = static_cast<int32_t>(s.compile_queue.size());
        out.compiling = s.compiling;
        out.waiting_run = static_cast<int32_t>(s.run_queue.size());
        out.running = s.run_busy ? 1 : 0;
        out.uptime_ms = ms_since(s.started);
        return out;
      },
      [self](drain_atom) {
        self->state.draining = true;
        maybe_quit(self);
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

std::string verdict_key(const std::string& build_signature, const std::string& definition_hash,
                        const std::string& source) {
  content_hasher h;
  h.add(build_signature).add(definition_hash).add(source);
  return h.finish();
}

verifier_actor spawn_verifier(caf::actor_system& sys, std::shared_ptr<hardware::backend> backend,
                              std::shared_ptr<const kforge::task_map> tasks, verifier_config cfg,
                              const memory::store* store) {
  return sys.spawn(verifier_behavior, std::move(backend), std::move(tasks), cfg, store);
}

}  // namespace kforge::actors
