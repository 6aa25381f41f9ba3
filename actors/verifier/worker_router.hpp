#pragma once

// Issue 16: the verifier of a campaign whose pools come and go: remote workers that join
// through the worker registry (worker_registry.hpp), and optionally the coordinator's own pool.
// It speaks the verifier's interface, so the task actors see one verifier; work_dealer decides
// which pool gets each job (per candidate, by device kind and free slots).
//
//   verify / reference / remeasure -> dealer queue -> deal -> pool (remote_job; the task's
//   definition with its first job there) -> answer: current attempt? deliver : drop (stale)
//   pool lost (down_msg, or no heartbeat answer within the deadline, or a CAF error on a
//   request) -> its in-flight jobs re-queued first, dealt to the pools left or to the next
//   that joins; a late answer of the lost attempt is dropped, so nothing is recorded twice.

#include "actors/messages.hpp"
#include "actors/type_ids.hpp"
#include "actors/verifier/remote_pool.hpp"
#include "actors/verifier/verifier_actor.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace kforge::actors {

/// The router's interface: the verifier's, and the joins the registry passes on.
using worker_router_actor = verifier_actor::extend<
    // registry -> router (local): a worker passed the challenge; its pool takes part in the
    // deal at once. Replies the pool's id.
    caf::replies_to<join_atom, worker_offer>::with<int64_t>,
    // daemon -> router (local): a pool of this host (offer.pool, the remote_pool front over a
    // verifier pool its sender owns and drains) takes part in the deal without heartbeats.
    // Replies its id.
    caf::replies_to<join_atom, local_atom, worker_offer>::with<int64_t>,
    // router -> itself: heartbeat round (every heartbeat).
    caf::reacts_to<beat_atom>>;

/// Settings of a worker router.
struct worker_router_config {
  std::chrono::milliseconds heartbeat{1000};  ///< a stats request to every pool this often
  std::chrono::milliseconds deadline{5000};   ///< a pool that does not answer one within this is lost
};

/// Spawns the router over `tasks`. `local` (may be null) is the coordinator's own pool of
/// device kind `local_device` with `local_slots`: it takes part in the deal like a worker's and
/// is drained with the router. drain_atom answers queued work with errc::cancelled and quits
/// (remote pools stay up: workers outlive campaigns).
[[nodiscard]] worker_router_actor spawn_worker_router(caf::actor_system& sys,
                                                      std::shared_ptr<const kforge::task_map> tasks,
                                                      worker_router_config cfg, verifier_actor local = {},
                                                      std::string local_device = {}, int32_t local_slots = 2);

}  // namespace kforge::actors
