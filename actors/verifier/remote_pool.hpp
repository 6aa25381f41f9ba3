#pragma once

// Issue 16: a verifier pool offered to a coordinator by a `kforge worker` (or by the coordinator
// itself for its own device). The remote pool is a small front over a local verifier pool: the
// first job of a task brings the task's definition, which the front adds to the pool's catalog
// (load_atom, local) before it forwards the job, so the pool prepares that task's reference on
// its own device. Everything in its interface serializes (messages.hpp).

#include "actors/messages.hpp"
#include "actors/type_ids.hpp"
#include "actors/verifier/verifier_actor.hpp"

#include <caf/typed_actor.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

namespace kforge::actors {

/// A verifier pool as a coordinator reaches it over caf::io.
using remote_pool_actor = caf::typed_actor<
    // coordinator -> pool: verify one candidate (job.tasks holds the task's definition on the
    // task's first job here). Errors: those of verifier_actor's verify_atom; errc::bad_request
    // for a task it was never sent.
    caf::replies_to<verify_atom, remote_job>::with<verification>,
    // coordinator -> pool: the reference timing of job.request.task_id on this pool's device.
    caf::replies_to<reference_atom, remote_job>::with<kforge::timing_stats>,
    // coordinator -> pool: a task's best re-measured against its reference (verifier_actor's remeasure_atom).
    caf::replies_to<remeasure_atom, remote_job, int32_t>::with<interleaved_timing>,
    // coordinator -> pool: load and counters; also the coordinator's heartbeat.
    caf::replies_to<stats_atom>::with<verifier_stats>,
    // coordinator -> pool: the task stops; its candidate with this hash is answered
    // errc::cancelled if it has not started (verifier_actor's stop_atom, one hash a message).
    caf::reacts_to<stop_atom, std::string, std::string>>;

/// When the coordinator last called on a front: steady-clock milliseconds, set by the front on
/// every message (the coordinator's heartbeat included) and read by the worker's own thread.
using last_call_clock = std::atomic<int64_t>;

/// Milliseconds of the steady clock, as last_call_clock holds them.
[[nodiscard]] int64_t steady_ms() noexcept;

/// Spawns the front over `pool`, whose catalog starts as `known` (may be empty, never null).
/// The front never drains `pool`: its owner does. `last_call` (may be null) is stamped on every
/// message from the coordinator: a worker whose coordinator stopped calling joins again.
[[nodiscard]] remote_pool_actor spawn_remote_pool(caf::actor_system& sys, verifier_actor pool,
                                                  std::shared_ptr<const kforge::task_map> known,
                                                  std::shared_ptr<last_call_clock> last_call = nullptr);

}  // namespace kforge::actors
