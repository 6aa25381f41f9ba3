#include "actors/verifier/verifier_actor.hpp"

#include "runtime/error.hpp"
#include "runtime/hash.hpp"
#include "runtime/log.hpp"

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
    caf::replies_to<compiled_atom, std::string, std::string, std::string>::with<hardware::build_result>>;
using run_worker =
    caf::typed_actor<caf::replies_to<reference_atom, std::string>::with<hardware::timing_stats>,
                     caf::replies_to<ran_atom, std::string, hardware::build_result>::with<hardware::verdict>>;

struct worker_state {
  std::shared_ptr<hardware::backend> backend;
  std::shared_ptr<const hardware::task_map> tasks;
  static inline const char* name = "kforge.verifier.worker";
};

compile_worker::behavior_type compile_worker_behavior(compile_worker::stateful_pointer<worker_state> self,
                                                      std::shared_ptr<hardware::backend> backend,
                                                      std::shared_ptr<const hardware::task_map> tasks) {
  self->state.backend = std::move(backend);
  self->state.tasks = std::move(tasks);
  return {
      [self](compiled_atom, const std::string& task_id, const std::string& cand_id,
             const std::string& source) -> caf::result<hardware::build_result> {
        const auto& task = self->state.tasks->at(task_id);
        auto built = self->state.backend->compile(task, source, cand_id);
        if (!built)
          return built.error();
        return std::move(*built);
      },
  };
}

run_worker::behavior_type run_worker_behavior(run_worker::stateful_pointer<worker_state> self,
                                              std::shared_ptr<hardware::backend> backend,
                                              std::shared_ptr<const hardware::task_map> tasks) {
  self->state.backend = std::move(backend);
  self->state.tasks = std::move(tasks);
  return {
      [self](reference_atom, const std::string& task_id) -> caf::result<hardware::timing_stats> {
        auto prepared = self->state.backend->prepare(self->state.tasks->at(task_id));
        if (!prepared)
          return prepared.error();
        return *prepared;
      },
      [self](ran_atom, const std::string& task_id,
             const hardware::build_result& compiled) -> caf::result<hardware::verdict> {
        auto v = self->state.backend->run(self->state.tasks->at(task_id), compiled);
        self->state.backend->discard(compiled);
        if (!v)
          return v.error();
        return std::move(*v);
      },
  };
}

enum class prep_status { none, preparing, ready, failed };

struct job {
  verify_request request;
  caf::typed_response_promise<hardware::verdict> promise;
  hardware::build_result compiled;
  double compile_ms = 0;
};

struct task_prep {
  prep_status status = prep_status::none;
  hardware::timing_stats timing;
  caf::error failure;
  std::vector<caf::typed_response_promise<hardware::timing_stats>> waiting;
};

struct verifier_state {
  std::shared_ptr<hardware::backend> backend;
  std::shared_ptr<const hardware::task_map> tasks;
  verifier_config cfg;
  std::vector<compile_worker> compilers;
  std::vector<bool> compiler_busy;
  run_worker runner;
  bool run_busy = false;
  std::map<std::string, task_prep> prep;
  std::deque<std::string> prep_queue;
  std::deque<job> compile_queue;
  std::deque<job> run_queue;
  clock_type::time_point started = clock_type::now();
  double run_busy_ms = 0;
  int64_t completed = 0;
  int32_t compiling = 0;
  bool draining = false;
  log::logger log{"kforge.verifier"};
  static inline const char* name = "kforge.verifier";
};

using verifier_pointer = verifier_actor::stateful_pointer<verifier_state>;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

void pump(verifier_pointer self);

void deliver(verifier_pointer self, job& j, hardware::verdict v) {
  self->state.completed += 1;
  j.promise.deliver(std::move(v));
}

void maybe_quit(verifier_pointer self) {
  auto& st = self->state;
  if (!st.draining || st.run_busy || st.compiling > 0 || !st.compile_queue.empty() || !st.run_queue.empty() ||
      !st.prep_queue.empty())
    return;
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
                 caf::expected<hardware::timing_stats> result) {
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
      if (it->request.task_id == task_id) {
        it->promise.deliver(p.failure);
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
            [=](hardware::timing_stats& t) {
              self->state.run_busy = false;
              self->state.run_busy_ms += ms_since(started);
              on_prepared(self, task_id, t);
              pump(self);
            },
            [=](caf::error& err) {
              self->state.run_busy = false;
              self->state.run_busy_ms += ms_since(started);
              on_prepared(self, task_id, err);
              pump(self);
            });
    return;
  }
  if (st.run_queue.empty())
    return;
  auto j = std::make_shared<job>(std::move(st.run_queue.front()));
  st.run_queue.pop_front();
  st.run_busy = true;
  auto started = clock_type::now();
  self->request(st.runner, caf::infinite, ran_atom_v, j->request.task_id, j->compiled)
      .then(
          [=](hardware::verdict& v) {
            self->state.run_busy = false;
            double ms = ms_since(started);
            self->state.run_busy_ms += ms;
            v.compile_ms = j->compile_ms;
            if (v.run_ms <= 0)
              v.run_ms = ms;
            deliver(self, *j, std::move(v));
            pump(self);
          },
          [=](caf::error& err) {
            self->state.run_busy = false;
            self->state.run_busy_ms += ms_since(started);
            self->state.log.error("run stage failed", {{"task", j->request.task_id},
                                                       {"cand", short_id(j->request.cand_hash)},
                                                       {"error", describe(err)}});
            j->promise.deliver(err);
            pump(self);
          });
}

void start_compiles(verifier_pointer self) {
  auto& st = self->state;
  for (size_t w = 0; w < st.compilers.size(); ++w) {
    if (st.compiler_busy[w])
      continue;
    auto it = std::find_if(st.compile_queue.begin(), st.compile_queue.end(), [&](const job& j) {
      return st.prep[j.request.task_id].status == prep_status::ready;
    });
    if (it == st.compile_queue.end())
      return;
    auto j = std::make_shared<job>(std::move(*it));
    st.compile_queue.erase(it);
    st.compiler_busy[w] = true;
    st.compiling += 1;
    self->request(st.compilers[w], caf::infinite, compiled_atom_v, j->request.task_id, j->request.cand_hash,
                  j->request.source)
        .then(
            [=](hardware::build_result& c) {
              auto& s = self->state;
              s.compiler_busy[w] = false;
              s.compiling -= 1;
              j->compile_ms = c.wall_ms;
              if (!c.ok) {
                auto v = hardware::failed_verdict(hardware::gate_compile, c.output, s.backend->device());
                v.compile_ms = c.wall_ms;
                deliver(self, *j, std::move(v));
              } else {
                j->compiled = std::move(c);
                s.run_queue.push_back(std::move(*j));
              }
              pump(self);
            },
            [=](caf::error& err) {
              auto& s = self->state;
              s.compiler_busy[w] = false;
              s.compiling -= 1;
              j->promise.deliver(err);
              pump(self);
            });
  }
}

void pump(verifier_pointer self) {
  start_run_stage(self);
  start_compiles(self);
  maybe_quit(self);
}

verifier_actor::behavior_type verifier_behavior(verifier_pointer self,
                                                std::shared_ptr<hardware::backend> backend,
                                                std::shared_ptr<const hardware::task_map> tasks,
                                                verifier_config cfg) {
  auto& st = self->state;
  st.backend = std::move(backend);
  st.tasks = std::move(tasks);
  st.cfg = cfg;
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
      [self](verify_atom, verify_request& req) -> caf::result<hardware::verdict> {
        auto& s = self->state;
        auto it = s.tasks->find(req.task_id);
        if (it == s.tasks->end())
          return make_error(errc::bad_request, "unknown task " + req.task_id);
        if (s.draining)
          return make_error(errc::cancelled, "verifier is draining");
        auto hack = s.backend->hack_check(it->second, req.source);
        if (!hack.passed) {
          s.completed += 1;
          return hardware::failed_verdict(hardware::gate_hack, hack.detail, s.backend->device());
        }
        if (s.compile_queue.size() + s.run_queue.size() >= static_cast<size_t>(s.cfg.max_queue))
          return make_error(errc::queue_full, "verifier queue holds " + std::to_string(s.cfg.max_queue));
        auto& p = s.prep[req.task_id];
        if (p.status == prep_status::failed)
          return p.failure;
        ensure_prepared(self, req.task_id);
        auto promise = self->make_response_promise<hardware::verdict>();
        s.compile_queue.push_back(job{std::move(req), promise, {}, 0});
        pump(self);
        return promise;
      },
      [self](reference_atom, const std::string& task_id) -> caf::result<hardware::timing_stats> {
        auto& s = self->state;
        if (s.tasks->count(task_id) == 0)
          return make_error(errc::bad_request, "unknown task " + task_id);
        auto& p = s.prep[task_id];
        if (p.status == prep_status::ready)
          return p.timing;
        if (p.status == prep_status::failed)
          return p.failure;
        auto promise = self->make_response_promise<hardware::timing_stats>();
        p.waiting.push_back(promise);
        ensure_prepared(self, task_id);
        pump(self);
        return promise;
      },
      [self](stats_atom) -> verifier_stats {
        auto& s = self->state;
        verifier_stats out;
        out.device = s.backend->device();
        out.queued = static_cast<int32_t>(s.compile_queue.size());
        out.compiling = s.compiling;
        out.waiting_run = static_cast<int32_t>(s.run_queue.size());
        out.running = s.run_busy ? 1 : 0;
        out.completed = s.completed;
        out.run_busy_ms = s.run_busy_ms;
        out.uptime_ms = ms_since(s.started);
        return out;
      },
      [self](drain_atom) {
        self->state.draining = true;
        maybe_quit(self);
      },
  };
}

}  // namespace

verifier_actor spawn_verifier(caf::actor_system& sys, std::shared_ptr<hardware::backend> backend,
                              std::shared_ptr<const hardware::task_map> tasks, verifier_config cfg) {
  return sys.spawn(verifier_behavior, std::move(backend), std::move(tasks), cfg);
}

}  // namespace kforge::actors
