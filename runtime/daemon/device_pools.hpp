#pragma once

// One verifier pool per device, shared by every campaign the daemon runs on that
// device: the scarce resource (the device's run stage) stays under one owner.
// The first campaign on a device builds its pool with its [verifier] settings;
// later campaigns add their tasks to the pool's catalog. Owned and called by the
// daemon actor only; never blocks (the backends are made off the actor).

#include "actors/curator/curator_actor.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "actors/verifier/worker_router.hpp"
#include "hardware/backend.hpp"
#include "memory/store.hpp"
#include "runtime/base/task.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kforge::runtime {

/// What GET /api/daemon shows of one pool.
struct pool_info {
  std::string device;
  std::string settings_from;  ///< the campaign whose [verifier] settings built it
  size_t tasks = 0;           ///< tasks in its catalog
};

/// The daemon's verifier pools, by device.
class device_pools {
 public:
  /// Pools are spawned in `sys` over `store` (its verdict cache); both must outlive them.
  device_pools(caf::actor_system& sys, memory::store& store) : sys_(sys), store_(store) {}

  /// Remote workers (the daemon's [workers]): every campaign verifies through `router`, and a
  /// device's local pool, when `workers.local`, joins it as one more pool of the deal.
  void use_router(actors::worker_router_actor router, const workers_settings& workers) {
    router_ = std::move(router);
    workers_ = workers;
  }

  /// Whether a campaign on `device` needs no backends (its pool exists, or workers verify alone).
  [[nodiscard]] bool has(const std::string& device) const {
    return pools_.count(device) > 0 || (router_ && !workers_.local);
  }

  /// The pool of `cfg`'s device: built from `backends` (make_backends) if the device has none,
  /// else grown by the tasks of `tasks` it does not know (a local load_atom to the pool). A new
  /// pool caches the references it prepares through `curator`, the store's writer.
  /// With a router: the router, whose catalog (every device's tasks) grows by `tasks`; the local
  /// pool, built as above when [workers] local, joins it once.
  /// Errors: errc::bad_config (a task of the same id but another definition runs on the device,
  /// or with a router on any device; no backends for a new device).
  [[nodiscard]] caf::expected<actors::verifier_actor> pool_for(
      const campaign_config& cfg, const kforge::task_map& tasks,
      std::vector<std::shared_ptr<hardware::backend>> backends, const actors::curator_actor& curator);

  /// Every pool, by device.
  [[nodiscard]] std::vector<pool_info> info() const;

  /// Tells every pool (and the router) to finish its queued work and stop.
  void drain_all();

 private:
  struct pool {
    std::vector<std::shared_ptr<hardware::backend>> backends;  // one, or one per GPU
    std::shared_ptr<const kforge::task_map> tasks;             // union of the tasks of its campaigns
    actors::verifier_actor verifier;
    std::string settings_from;
  };

  // Adds `tasks` to `catalog` (a copy when it grows); `where` names the scope in the error.
  static caf::error merge(std::shared_ptr<const kforge::task_map>& catalog, const kforge::task_map& tasks,
                          const campaign_config& cfg, const std::string& where, bool& grown);

  caf::actor_system& sys_;
  memory::store& store_;
  std::map<std::string, pool> pools_;
  actors::worker_router_actor router_;
  workers_settings workers_;
  std::shared_ptr<const kforge::task_map> router_tasks_ = std::make_shared<const kforge::task_map>();
};

}  // namespace kforge::runtime
