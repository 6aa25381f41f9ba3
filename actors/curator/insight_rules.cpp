#include "actors/curator/insight_rules.hpp"

#include "actors/curator/insight_index.hpp"

namespace kforge::actors {

bool should_retire(const memory::memory_item& item, const consolidation_config& cfg) noexcept {
  if (item.retired || item.visits1 + item.visits2 < cfg.retire_min_visits)
    return false;
  bool low1 = item.visits1 == 0 || item.q1 < cfg.retire_below;
  bool low2 = item.visits2 == 0 || item.q2 < cfg.retire_below;
  return low1 && low2;
}

consolidation consolidate(const std::vector<memory::memory_item>& items, const consolidation_config& cfg,
                          int64_t now_ms) {
  insight_index index{cfg};
  for (const auto& item : items)
    index.update(item);
  return index.everything(now_ms);
}

}  // namespace kforge::actors
