#pragma once

// The retrieval code as it was before the memory index (kforge commit 8699151), kept verbatim
// for the scale bench's before/after figures: a retriever that copies its whole pool after
// every commit and rankings that sort every matching item (functions renamed before_*, so that
// argument-dependent lookup cannot mix them with kforge::actors'). Nothing else may use it.

#include "actors/messages.hpp"
#include "actors/retriever/ranking.hpp"
#include "memory/records.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace kforge::bench::before {

using actors::context_query;
using actors::context_reply;
using actors::ranking_config;

// NOLINTBEGIN

inline bool usable_in(const memory::memory_item& item, const std::string& stage) {
  const auto& kind = item.kind;
  if (kind == "insight")  // consolidated insights are tagged with the stage they serve
    return item.tags.empty() || std::find(item.tags.begin(), item.tags.end(), stage) != item.tags.end();
  if (stage == "draft")
    return kind == "seed";
  // Refinement may also jump toward a feasible setting that was fast elsewhere (a seed).
  return kind == "optimization" || kind == "trajectory" || kind == "seed";
}

// "family|bound|effN|source" -> "family|bound".
inline std::string bound_of(const std::string& state) {
  auto first = state.find('|');
  if (first == std::string::npos)
    return state;
  auto second = state.find('|', first + 1);
  return state.substr(0, second);
}

// A model reads items in words; the offline policy applies knob settings and changes.
inline bool serves(const memory::memory_item& item, const std::string& policy) {
  return memory::is_in_words(item) == (policy == "openai");
}

inline bool from_task(const memory::memory_item& item, const std::string& task_id) {
  return std::find(item.source_tasks.begin(), item.source_tasks.end(), task_id) != item.source_tasks.end();
}

inline double before_similarity(const memory::memory_item& item, const context_query& query,
                                bool cross_family) noexcept {
  if (item.retired || !usable_in(item, query.stage) || !serves(item, query.policy))
    return 0.0;
  // Settings and knob changes transfer within a family (knob names mean different
  // things across templates); across families only distilled insights do.
  if (!cross_family && item.family != query.family && item.kind != "insight")
    return 0.0;
  // An insight consolidated across families (no family of its own) sits between the two.
  double score = item.family == query.family ? 1.0 : item.family.empty() ? 0.6 : 0.2;
  if (!query.state.empty() && item.state == query.state)
    score += 0.5;
  if (from_task(item, query.task_id))
    score += 0.25;
  return score;
}

inline double before_kb_score(const memory::memory_item& item, const ranking_config& cfg) noexcept {
  double confidence =
      std::clamp(static_cast<double>(item.samples) / std::max(1e-9, cfg.kb_confidence_samples), 0.1, 1.0);
  return item.mean_speedup * confidence -
         cfg.kb_use_penalty * std::log1p(static_cast<double>(std::max<int64_t>(0, item.samples)));
}

inline std::vector<memory::memory_item> before_choose_kb(const std::vector<memory::memory_item>& pool,
                                                         const context_query& query,
                                                         const ranking_config& cfg) {
  std::vector<memory::memory_item> out;
  if (!cfg.enabled || query.kb_n <= 0 || query.state.empty())
    return out;
  // The state indexes the base: an entry recorded in the query's exact state counts
  // fully, one of the same bound partly, one of another state of the family a little.
  std::vector<const memory::memory_item*> entries;
  std::vector<double> match;
  auto bound = bound_of(query.state);
  for (const auto& item : pool) {
    if (item.retired || item.kind != "optimization" || item.family != query.family || item.samples <= 0 ||
        !serves(item, query.policy))
      continue;
    if (!cfg.cross_task && !from_task(item, query.task_id))
      continue;
    entries.push_back(&item);
  }
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  for (const auto* e : entries)
    match.push_back(e->state == query.state       ? 1.0
                    : bound_of(e->state) == bound ? cfg.kb_bound_match
                                                  : cfg.kb_family_match);
  std::mt19937_64 rng{query.seed ^ 0x6b62ULL};
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  double temperature = std::max(1e-6, cfg.kb_temperature);
  while (!entries.empty() && out.size() < static_cast<size_t>(query.kb_n)) {
    std::vector<double> scores;
    double top = -1e300;
    for (size_t i = 0; i < entries.size(); ++i) {
      scores.push_back(before_kb_score(*entries[i], cfg) * match[i]);
      top = std::max(top, scores.back());
    }
    std::vector<double> weights;
    double total = 0;
    for (double sc : scores) {
      double w = cfg.use_values ? std::exp((sc - top) / temperature) : 1.0;
      weights.push_back(w);
      total += w;
    }
    double r = unit(rng) * total;
    size_t pick = 0;
    for (; pick + 1 < entries.size(); ++pick) {
      r -= weights[pick];
      if (r < 0)
        break;
    }
    out.push_back(*entries[pick]);
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(pick));
    match.erase(match.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return out;
}

inline std::vector<memory::memory_item> before_technique_evidence(
    const std::vector<memory::memory_item>& pool, const context_query& query, const ranking_config& cfg) {
  std::vector<memory::memory_item> out;
  if (!cfg.enabled || !query.techniques)
    return out;
  for (const auto& item : pool) {
    bool entry = item.kind == "optimization" && item.family == query.family &&
                 std::find(item.tags.begin(), item.tags.end(), "technique") != item.tags.end() &&
                 (cfg.cross_task || from_task(item, query.task_id));
    if (entry || item.kind == "technique")
      out.push_back(item);
  }
  return out;
}

inline std::vector<memory::memory_item> before_rank_items(const std::vector<memory::memory_item>& pool,
                                                          const context_query& query,
                                                          const ranking_config& cfg) {
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
    double sim = before_similarity(item, query, cfg.cross_family);
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
  // Drafting ties (every feasible seed earns the same Q1) are broken by Q2, whose prior
  // for a seed says how fast its setting was.
  std::stable_sort(candidates.begin(), candidates.end(), [&](const scored& a, const scored& b) {
    if (value(a) != value(b))
      return value(a) > value(b);
    return draft && a.item->q2 > b.item->q2;
  });
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

// NOLINTEND

/// The retriever's state and handlers as they were: an id map, and a flattened copy of it
/// rebuilt by the first query after any commit.
struct retriever {
  std::map<std::string, memory::memory_item> index;
  std::vector<memory::memory_item> pool;
  bool pool_stale = true;
  ranking_config cfg;

  void update(std::vector<memory::memory_item> changed) {
    for (auto& item : changed) {
      auto id = item.id;
      index[id] = std::move(item);
    }
    pool_stale = true;
  }

  context_reply query(const context_query& q) {
    if (pool_stale) {
      pool.clear();
      pool.reserve(index.size());
      for (const auto& [id, item] : index)
        pool.push_back(item);
      pool_stale = false;
    }
    return context_reply{before_rank_items(pool, q, cfg), before_choose_kb(pool, q, cfg),
                         before_technique_evidence(pool, q, cfg)};
  }
};

}  // namespace kforge::bench::before
