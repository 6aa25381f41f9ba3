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

namespace kforge::memory {
class store;
}

namespace kforge::actors::detail {

/// A worker's state: its backend and task catalog, and the store its reference builds read
/// cached references from (null: none).
struct worker_state {
  std::shared_ptr<hardware::backend> backend;
  std::shared_ptr<const kforge::task_map> tasks;
  const memory::store* store = nullptr;
  std::string reference_signature;  ///< what cached references are kept under
  static inline const char* name = "kforge.verifier.worker";
};

// Internal stages of the pool; local actors, never published.
using compile_worker = caf::typed_actor<
    caf::replies_to<compiled_atom, std::string, std::string, std::string>::with<hardware::build_result>,
    // pool -> compile worker: build task's reference (backend::build_reference), with its cached
    // data from the store when the bool says to look. Replies with the build and what the cache
    // gave: "off", "miss", "hit", "stale" (made for another definition), "unusable: <why>".
    caf::replies_to<built_atom, std::string, bool>::with<hardware::reference_build, std::string>,
    caf::reacts_to<load_atom, std::shared_ptr<const kforge::task_map>>>;
using run_worker = caf::typed_actor<
    caf::replies_to<reference_atom, std::string, hardware::reference_build>::with<hardware::reference_run>,
    caf::replies_to<ran_atom, std::string, hardware::build_result>::with<kforge::verdict>,
    caf::replies_to<remeasure_atom, verify_request, int32_t>::with<interleaved_timing>,
    caf::reacts_to<caf::delete_atom, hardware::build_result>,
    caf::reacts_to<load_atom, std::shared_ptr<const kforge::task_map>>>;

/// A compile worker over `backend`: builds a candidate and hashes its binary (object_hash);
/// builds references, restoring them from `store` (may be null) where it holds one under
/// `reference_signature` (reference_signature() of the backend).
[[nodiscard]] compile_worker::behavior_type compile_worker_behavior(
    compile_worker::stateful_pointer<worker_state> self, std::shared_ptr<hardware::backend> backend,
    std::shared_ptr<const kforge::task_map> tasks, const memory::store* store,
    std::string reference_signature);

/// The run worker over `backend`: runs built references, runs built candidates, and measures a
/// candidate against its reference in interleaved rounds (remeasure: measure_interleaved).
[[nodiscard]] run_worker::behavior_type run_worker_behavior(run_worker::stateful_pointer<worker_state> self,
                                                            std::shared_ptr<hardware::backend> backend,
                                                            std::shared_ptr<const kforge::task_map> tasks);

}  // namespace kforge::actors::detail
