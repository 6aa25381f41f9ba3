#include "actors/retriever/ranking.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace kforge::actors {

namespace {

bool usable_in(const std::string& kind, const std::string& stage) {
  if (kind == "insight")
    return true;
  if (stage == "draft")
    return kind == "seed";
  return kind == "optimization";
}

bool from_task(const memory::memory_item& item, const std::string& task_id) {
  return std::find(item.source_tasks.begin(), item.source_tasks.end(), task_id) != item.source_tasks.end();
}

}  // namespace

double similarity(const memory::memory_item& item, const context_query& query) noexcept {
  if (!usable_in(item.kind, query.stage))
    return 0.0;
  double score = item.family == query.family ? 1.0 : 0.2;
  if (!query.state.empty() && item.state == query.state)
    score += 0.5;
  if (from_task(item, query.task_id))
    score += 0.25;
  return score;
}

std::vector<memory::memory_item> rank_items(const std::vector<memory::memory_item>& pool,
                                            const context_query& query, const ranking_config& cfg) {
  std::vector<memory::memory_item> out;
  if (!cfg.enabled || query.n <= 0)
    return out;
  struct scored {
    const memory::memory_item* item;
    double sim;
  };
  std::vector<scored> candidates;
  for (const auto& item : pool) {
    if (!cfg.cross_task && !from_task(item, query.task_id))
      continue;
    double sim = similarity(item, query);
    if (sim > 0)
      candidates.push_back({&item, sim});
  }
  // Over-fetch lambda*N by similarity; ties broken by id so the order is stable.
  std::sort(candidates.begin(), candidates.end(), [](const scored& a, const scored& b) {
    return a.sim != b.sim ? a.sim > b.sim : a.item->id < b.item->id;
  });
  auto fetch = static_cast<size_t>(std::max(1, cfg.lambda) * query.n);
  if (candidates.size() > fetch)
    candidates.resize(fetch);
  if (!cfg.use_values) {
    for (size_t i = 0; i < candidates.size() && out.size() < static_cast<size_t>(query.n); ++i)
      out.push_back(*candidates[i].item);
    return out;
  }
  // Keep N by the stage's Q, epsilon-greedy: each slot is random with probability epsilon.
  bool draft = query.stage == "draft";
  auto value = [draft](const scored& s) { return draft ? s.item->q1 : s.item->q2; };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const scored& a, const scored& b) { return value(a) > value(b); });
  std::mt19937_64 rng{query.seed};
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  while (!candidates.empty() && out.size() < static_cast<size_t>(query.n)) {
    size_t pick = 0;
    if (candidates.size() > 1 && coin(rng) < cfg.epsilon) {
      std::uniform_int_distribution<size_t> any{0, candidates.size() - 1};
      pick = any(rng);
    }
    out.push_back(*candidates[pick].item);
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return out;
}

}  // namespace kforge::actors
