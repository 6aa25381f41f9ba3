#pragma once

#include "actors/messages.hpp"
#include "hardware/backend.hpp"
#include "hardware/task.hpp"
#include "runtime/type_ids.hpp"

#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

namespace kforge::actors {

/// Runs the gates for candidates of one device. The hack gate runs inline,
/// compiles run in parallel on `compile_jobs` detached workers, and one
/// detached run worker holds the device alone for correctness and timing.
using verifier_actor = caf::typed_actor<
    // task actor -> verifier: evaluate one candidate. A failing kernel is a verdict,
    // not an error. Errors: errc::queue_full, errc::reference_failed, errc::bad_request.
    caf::replies_to<verify_atom, verify_request>::with<hardware::verdict>,
    // task actor -> verifier: the reference's timing for a task (prepares the task
    // first if needed). Errors: errc::reference_failed, errc::bad_request.
    caf::replies_to<reference_atom, std::string>::with<hardware::timing_stats>,
    // supervisor -> verifier: queue depths and run-stage utilisation.
    caf::replies_to<stats_atom>::with<verifier_stats>,
    // supervisor -> verifier: stop the workers and quit once queued work is answered.
    caf::reacts_to<drain_atom>>;

/// Settings of one verifier pool.
struct verifier_config {
  int32_t compile_jobs = 1;  ///< parallel compile workers
  int32_t max_queue = 4096;  ///< pending verifications before errc::queue_full
  bool detached = true;      ///< workers on their own threads (tests: false)
};

/// Spawns the pool for `backend`'s device over `tasks`.
[[nodiscard]] verifier_actor spawn_verifier(caf::actor_system& sys,
                                            std::shared_ptr<hardware::backend> backend,
                                            std::shared_ptr<const hardware::task_map> tasks,
                                            verifier_config cfg);

}  // namespace kforge::actors
