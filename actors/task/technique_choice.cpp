#include "actors/task/technique_choice.hpp"
#include "runtime/base/rng.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace kforge::actors {

namespace {

std::string bound_prefix(const std::string& state) {
  auto first = state.find('|');
  if (first == std::string::npos)
    return state;
  return state.substr(0, state.find('|', first + 1));
}

}  // namespace

std::string bound_of_state(const std::string& state) {
  auto first = state.find('|');
  if (first == std::string::npos)
    return {};
  auto second = state.find('|', first + 1);
  return state.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

double predicted_speedup(const std::vector<const memory::memory_item*>& entries, const std::string& state,
                         const technique_config& cfg, technique_pick& pick) {
  double weight = std::max(0.0, cfg.prior_samples);
  double sum = cfg.prior_speedup * weight;
  auto bound = bound_prefix(state);
  for (const auto* e : entries) {
    double w = e->state == state ? 1.0 : bound_prefix(e->state) == bound ? cfg.bound_match : cfg.family_match;
    auto n = static_cast<double>(std::max<int64_t>(0, e->samples));
    sum += w * n * e->mean_speedup;
    weight += w * n;
    if (e->state == state) {
      pick.entry_id = e->id;
      pick.samples = e->samples;
      pick.mean_speedup = e->mean_speedup;
      pick.feasible = e->feasible_samples;
      pick.uses = e->visits2;
    }
  }
  return weight > 0 ? sum / weight : cfg.prior_speedup;
}

technique_pick draw_technique(const technique_catalogue& catalogue,
                              const std::vector<memory::memory_item>& entries, const std::string& family,
                              const std::string& state, uint64_t seed, const technique_config& cfg) {
  // Evidence by technique id: this backend's entries of the family.
  std::map<std::string, std::vector<const memory::memory_item*>> evidence;
  for (const auto& item : entries) {
    std::string id;
    std::string backend;
    if (item.family != family || !technique_of_entry(item, id, backend) || backend != catalogue.backend)
      continue;
    evidence[id].push_back(&item);
  }
  auto bound = bound_of_state(state);
  struct scored {
    const technique* t;
    technique_pick pick;
    double score;
  };
  std::vector<scored> pool;
  for (const auto& t : catalogue.techniques) {
    auto it = evidence.find(t.id);
    bool measured = it != evidence.end();
    if (!measured && !technique_catalogue::applies(t, family, bound))
      continue;
    static const std::vector<const memory::memory_item*> none;
    const auto& es = measured ? it->second : none;
    if (std::any_of(es.begin(), es.end(), [&](const auto* e) { return e->state == state && e->retired; }))
      continue;
    scored s{&t, {}, 0};
    s.pick.predicted = predicted_speedup(es, state, cfg, s.pick);
    s.score = s.pick.predicted - cfg.use_penalty * std::log1p(static_cast<double>(s.pick.uses));
    pool.push_back(std::move(s));
  }
  if (pool.empty())
    return {};
  std::sort(pool.begin(), pool.end(), [](const scored& a, const scored& b) {
    return a.score != b.score ? a.score > b.score : a.t->id < b.t->id;
  });
  pool.resize(std::min(pool.size(), static_cast<std::size_t>(std::max(1, cfg.top_k))));
  double temperature = std::max(1e-6, cfg.temperature);
  std::vector<double> weights;
  for (const auto& s : pool)
    weights.push_back(std::exp((s.score - pool.front().score) / temperature));
  kforge::splitmix64 rng{seed ^ 0x74656368ULL};
  std::discrete_distribution<std::size_t> draw{weights.begin(), weights.end()};
  auto& chosen = pool[draw(rng)];
  auto pick = std::move(chosen.pick);
  pick.id = chosen.t->id;
  pick.name = chosen.t->name;
  pick.summary = chosen.t->summary;
  pick.risks = chosen.t->risks;
  pick.entry_id = technique_entry_id(catalogue.backend, family, state, pick.id);
  return pick;
}

}  // namespace kforge::actors
