#include "runtime/daemon/device_pools.hpp"

#include "actors/type_ids.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/campaign_launch.hpp"

#include <caf/send.hpp>

#include <utility>

namespace kforge::runtime {

caf::error device_pools::merge(std::shared_ptr<const kforge::task_map>& catalog,
                               const kforge::task_map& tasks, const campaign_config& cfg,
                               const std::string& where, bool& grown) {
  std::shared_ptr<kforge::task_map> merged;
  for (const auto& [id, def] : tasks) {
    auto have = catalog->find(id);
    if (have != catalog->end()) {
      if (have->second.definition_hash != def.definition_hash)
        return make_error(errc::bad_config,
                          cfg.file.string() + ": task '" + id +
                              "' differs from the task of that name another campaign runs " + where);
      continue;
    }
    if (!merged)
      merged = std::make_shared<kforge::task_map>(*catalog);
    merged->emplace(id, def);
  }
  grown = merged != nullptr;
  if (grown)
    catalog = std::move(merged);
  return {};
}

caf::expected<actors::verifier_actor> device_pools::pool_for(
    const campaign_config& cfg, const kforge::task_map& tasks,
    std::vector<std::shared_ptr<hardware::backend>> backends, const actors::curator_actor& curator) {
  const auto& dev = cfg.verifier.device;
  if (router_) {
    bool grown = false;
    if (auto err = merge(router_tasks_, tasks, cfg, "in this daemon", grown))
      return err;
    // Sent before the campaign starts, so its first jobs find their tasks in the router's catalog.
    if (grown)
      caf::anon_send(router_, load_atom_v, router_tasks_);
  }
  auto it = pools_.find(dev);
  if (it == pools_.end() && (!router_ || workers_.local)) {
    if (backends.empty())
      return make_error(errc::bad_config, cfg.file.string() + ": no backend for device " + dev);
    pool p;
    p.backends = std::move(backends);
    p.tasks = std::make_shared<const kforge::task_map>(tasks);
    p.settings_from = cfg.name;
    p.verifier = spawn_verifier_pools(sys_, p.backends, p.tasks, cfg, store_, curator);
    log::logger{"kforge.daemon"}.info("verifier pool started", {{"dev", dev}, {"settings_from", cfg.name}});
    if (router_) {
      // This host's pool is one more pool of the deal; the front loads the tasks of later
      // campaigns into it as their first jobs arrive (actors/verifier/remote_pool.hpp).
      actors::worker_offer offer;
      offer.worker = "local";
      offer.device = dev;
      offer.slots = workers_.local_slots;
      offer.pool = caf::actor_cast<caf::actor>(actors::spawn_remote_pool(sys_, p.verifier, p.tasks));
      caf::anon_send(router_, join_atom_v, local_atom_v, std::move(offer));
    }
    it = pools_.emplace(dev, std::move(p)).first;
  } else if (it != pools_.end()) {
    // With a router this is only what GET /api/daemon shows; without, the pool's own catalog.
    bool grown = false;
    if (auto err = merge(it->second.tasks, tasks, cfg, "on " + dev, grown))
      return err;
    if (grown && !router_)
      caf::anon_send(it->second.verifier, load_atom_v, it->second.tasks);
  }
  if (router_)
    return caf::actor_cast<actors::verifier_actor>(router_);
  return it->second.verifier;
}

std::vector<pool_info> device_pools::info() const {
  std::vector<pool_info> out;
  for (const auto& [dev, p] : pools_)
    out.push_back({dev, p.settings_from, p.tasks->size()});
  return out;
}

void device_pools::drain_all() {
  if (router_)
    caf::anon_send(router_, drain_atom_v);
  for (const auto& [dev, p] : pools_)
    caf::anon_send(p.verifier, drain_atom_v);
}

}  // namespace kforge::runtime
