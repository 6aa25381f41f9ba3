#pragma once

// Value-driven retrieval (EvoKernel): over-fetch lambda*N items by similarity
// to the query, then keep N by the stage's Q value, epsilon-greedy.

#include "actors/messages.hpp"
#include "memory/records.hpp"

#include <cstdint>
#include <vector>

namespace kforge::actors {

/// Retrieval constants and ablation switches; from the campaign config.
struct ranking_config {
  int32_t lambda = 5;      ///< over-fetch factor
  double epsilon = 0.1;    ///< share of slots filled at random from the over-fetched set
  bool use_values = true;  ///< false: similarity only (ablation)
  bool cross_task = true;  ///< false: only items that came from the querying task (ablation)
  bool enabled = true;     ///< false: no memory at all (ablation)
};

/// Similarity of an item to a query in [0, 2]: same family weighs most, then
/// the same performance state, then items from the same task. Items of a kind
/// the stage cannot use score 0 (draft uses seeds and insights; refine uses
/// optimizations and insights).
[[nodiscard]] double similarity(const memory::memory_item& item, const context_query& query) noexcept;

/// Chooses up to query.n items from `pool`, best first. Deterministic for a
/// given pool, query and query.seed.
[[nodiscard]] std::vector<memory::memory_item> rank_items(const std::vector<memory::memory_item>& pool,
                                                          const context_query& query,
                                                          const ranking_config& cfg);

}  // namespace kforge::actors
