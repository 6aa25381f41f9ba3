#pragma once

// The verifier pool's internal stages: compile workers (N) and the one run worker that holds
// the device. Local actors of verifier_actor.cpp, never published; the pool decides what they
// do and when (verify_schedule), they only call the backend.

#include "actors/messages.hpp"
#include "actors/type_ids.hpp"
#include "hardware/backend.hpp"
#include "runtime/base/task.hpp"

#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

namespace kforge::actors::detail {

/// A worker's state: its backend and task catalog.
struct worker_state {
  std::shared_ptr<hardware::backend> backend;
  std::shared_ptr<const kforge::task_map> tasks;
  static inline const char* name = "kforge.verifier.worker";
};

// Internal stages of the pool; local actors, never published.
using compile_worker = caf::typed_actor<
    caf::replies_to<compiled_atom, std::string, std::string, std::string>::with<hardware::build_result>,
    caf::reacts_to<load_atom, std::shared_ptr<const kforge::task_map>>>;
using run_worker =
    caf::typed_actor<caf::replies_to<reference_atom, std::string>::with<kforge::timing_stats>,
                     caf::replies_to<ran_atom, std::string, hardware::build_result>::with<kforge::verdict>,
                     caf::replies_to<remeasure_atom, verify_request, int32_t>::with<interleaved_timing>,
                     caf::reacts_to<caf::delete_atom, hardware::build_result>,
                     caf::reacts_to<load_atom, std::shared_ptr<const kforge::task_map>>>;

/// A compile worker over `backend`: builds a candidate and hashes its binary (object_hash).
[[nodiscard]] compile_worker::behavior_type compile_worker_behavior(
    compile_worker::stateful_pointer<worker_state> self, std::shared_ptr<hardware::backend> backend,
    std::shared_ptr<const kforge::task_map> tasks);

/// The run worker over `backend`: prepares references, runs built candidates, and measures a
/// candidate against its reference in interleaved rounds (remeasure: measure_interleaved).
[[nodiscard]] run_worker::behavior_type run_worker_behavior(run_worker::stateful_pointer<worker_state> self,
                                                            std::shared_ptr<hardware::backend> backend,
                                                            std::shared_ptr<const kforge::task_map> tasks);

}  // namespace kforge::actors::detail
