#include "runtime/daemon/device_pools.hpp"

#include "actors/type_ids.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/campaign_launch.hpp"

#include <caf/send.hpp>

#include <utility>

namespace kforge::runtime {

caf::expected<actors::verifier_actor> device_pools::pool_for(
    const campaign_config& cfg, const kforge::task_map& tasks,
    std::vector<std::shared_ptr<hardware::backend>> backends, const actors::curator_actor& curator) {
  const auto& dev = cfg.verifier.device;
  auto it = pools_.find(dev);
  if (it == pools_.end()) {
    if (backends.empty())
      return make_error(errc::bad_config, cfg.file.string() + ": no backend for device " + dev);
    pool p;
    p.backends = std::move(backends);
    p.tasks = std::make_shared<const kforge::task_map>(tasks);
    p.settings_from = cfg.name;
    p.verifier = spawn_verifier_pools(sys_, p.backends, p.tasks, cfg, store_, curator);
    log::logger{"kforge.daemon"}.info("verifier pool started", {{"dev", dev}, {"settings_from", cfg.name}});
    auto h = p.verifier;
    pools_.emplace(dev, std::move(p));
    return h;
  }
  auto& p = it->second;
  auto merged = std::make_shared<kforge::task_map>(*p.tasks);
  bool grown = false;
  for (const auto& [id, def] : tasks) {
    auto have = merged->find(id);
    if (have == merged->end()) {
      merged->emplace(id, def);
      grown = true;
    } else if (have->second.definition_hash != def.definition_hash) {
      return make_error(errc::bad_config,
                        cfg.file.string() + ": task '" + id +
                            "' differs from the task of that name another campaign runs on " + dev);
    }
  }
  if (grown) {
    p.tasks = merged;
    caf::anon_send(p.verifier, load_atom_v, std::shared_ptr<const kforge::task_map>{merged});
  }
  return p.verifier;
}

std::vector<pool_info> device_pools::info() const {
  std::vector<pool_info> out;
  for (const auto& [dev, p] : pools_)
    out.push_back({dev, p.settings_from, p.tasks->size()});
  return out;
}

void device_pools::drain_all() {
  for (const auto& [dev, p] : pools_)
    caf::anon_send(p.verifier, drain_atom_v);
}

}  // namespace kforge::runtime
