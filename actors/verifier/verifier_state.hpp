#pragma once

// The verifier pool's state and the functions its two source files share: verifier_actor.cpp
// (requests, candidates, the behavior) and verifier_references.cpp (reference preparation:
// builds on the compile workers, timed runs on the run stage, the store's reference cache,
// retries after transient failures). Internal to the pool; nothing else includes it.

#include "actors/verifier/lru_cache.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "actors/verifier/verifier_workers.hpp"
#include "actors/verifier/verify_schedule.hpp"
#include "memory/store.hpp"
#include "runtime/base/log.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kforge::actors::detail {

/// Measurements only (run_busy_ms, backlog figures, uptime, a run's run_ms when the backend
/// gives none): recorded in verifier_stats and verdicts, never decided on. The one timer of the
/// pool (a reference's retry after a transient failure) is a delayed_send on the actor clock.
using clock_type = std::chrono::steady_clock;

/// One distinct candidate in flight; identical requests share it.
struct job {
  job_id id = 0;
  verify_request request;
  std::string key;
  std::vector<caf::typed_response_promise<verification>> promises;
  hardware::build_result built;
  double compile_ms = 0;
  std::string object_key;    // of the built machine code; empty = unknown
  bool remeasuring = false;  // the first run was flagged: the next run re-measures it
  kforge::verdict first;     // that first run's verdict
};

using job_ptr = std::shared_ptr<job>;

/// A task's final measurement (its best against its reference, interleaved), queued or running.
struct measure_job {
  verify_request request;
  int32_t rounds = 0;
  caf::typed_response_promise<interleaved_timing> promise;
};

/// A task's reference as far as the replies need it; where it stands is the schedule's.
struct task_prep {
  kforge::timing_stats timing;
  caf::error failure;
  std::vector<caf::typed_response_promise<kforge::timing_stats>> waiting;
  hardware::reference_build built;  // between its build and its timed run
  int32_t attempts = 0;             // failed tries of the preparation in progress
  bool retry_pending = false;       // a retry_atom for it is on the clock
};

/// The pool actor's state.
struct verifier_state {
  std::shared_ptr<hardware::backend> backend;
  std::shared_ptr<const kforge::task_map> tasks;
  verifier_config cfg;
  const memory::store* store = nullptr;
  reference_sink sink;
  std::string signature;
  std::string reference_signature;  // what cached references are kept under (reference_signature())
  std::vector<compile_worker> compilers;
  run_worker runner;
  verify_schedule schedule{1, 1};  // what starts next; remade with the config
  std::map<std::string, task_prep> prep;
  std::map<job_id, job_ptr> jobs;          // queued, compiling or running, by id
  std::map<job_id, measure_job> measures;  // final measurements, queued or running, by id
  job_id next_job = 1;
  std::map<std::string, job_ptr> in_flight;  // by verdict key, when coalescing
  lru_cache<kforge::verdict> verdicts{0};
  lru_cache<kforge::verdict> objects{0};  // verdicts by object key (identical machine code)
  lru_cache<hardware::build_result> builds{0};
  clock_type::time_point started = clock_type::now();
  verifier_stats stats;
  log::logger log{"kforge.verifier"};
  static inline const char* name = "kforge.verifier";
};

/// The pool actor's handle to itself.
using verifier_pointer = verifier_actor::stateful_pointer<verifier_state>;

/// Milliseconds on clock_type since `t`.
[[nodiscard]] double ms_since(clock_type::time_point t);

/// Adds the time since the last call to the backlog figures, by the state that held during it.
/// Called before every change of queue or run-stage state.
void account(verifier_state& st);

/// The job `id`, still in the table, or null.
[[nodiscard]] job_ptr job_of(verifier_state& st, job_id id);

/// Starts what the stages can take now (run stage, compile slots) and quits once drained.
void pump(verifier_pointer self);

/// Answers every request of `j` with `result` (cached by key and object key) and forgets it.
void finish_job(verifier_pointer self, const job_ptr& j, caf::expected<kforge::verdict> result);

/// Sends the reference build `pick` (a compile slot's) to its compile worker.
void start_reference_build(verifier_pointer self, const compile_pick& pick);

/// Sends the timed run of the built reference `pick` to the run worker; `started` is when the
/// run stage took it.
void start_reference_run(verifier_pointer self, const run_pick& pick, clock_type::time_point started);

/// A retry_atom for `task_id` came: its preparation goes back to the build queue, unless it was
/// given up meanwhile.
void retry_preparation(verifier_pointer self, const std::string& task_id);

/// Gives up every preparation waiting out its backoff (the pool drains).
void give_up_retries(verifier_pointer self);

/// Draining: gives up the reference preparations nobody has started (a stopping pool does not
/// prepare references first); their waiting requests and queued work get errc::cancelled.
void give_up_queued_preparations(verifier_pointer self);

}  // namespace kforge::actors::detail
