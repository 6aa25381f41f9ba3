#pragma once

// KernelBlaster's draw for model kernels: the knowledge base holds, per performance state,
// <technique, score> entries measured by kforge (kind "optimization" memory items whose payload
// names the technique: technique_rules.hpp). A refine step draws one technique for its parent's
// state by weighted top-k: every catalogue technique that applies to the state's bound and
// family, and every technique with evidence in the family, is scored by its predicted speedup
// over the parent; the top k are drawn from by softmax. Plain functions, no CAF actor types.

#include "actors/curator/technique_rules.hpp"
#include "actors/messages.hpp"
#include "actors/task/technique_catalogue.hpp"
#include "memory/records.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::actors {

/// How the draw scores techniques; from the campaign config ([llm] technique_*, [memory] kb_*).
struct technique_config {
  int32_t top_k = 4;           ///< techniques kept by score before the softmax draw
  double temperature = 0.25;   ///< softmax temperature over the predicted speedup
  double prior_speedup = 1.0;  ///< predicted speedup of a technique with no measurement
  double prior_samples = 1.0;  ///< weight of the prior against measured samples
  double use_penalty = 0.05;   ///< score penalty per log(1 + uses)
  double bound_match = 0.6;    ///< weight of a sample from another state of the same bound
  double family_match = 0.3;   ///< weight of a sample from another bound of the family
};

/// "family|bound|effN|source" -> "bound" (empty if the state has none).
[[nodiscard]] std::string bound_of_state(const std::string& state);

/// Predicted speedup of technique `id` for a parent of `family` in `state`, from the entries
/// of that technique (prior_speedup with weight prior_samples, blended with each entry's samples
/// weighted 1 for the same state, bound_match for the same bound, family_match otherwise).
/// Sets `pick`'s measured fields from the entry of exactly `state`, if any.
[[nodiscard]] double predicted_speedup(const std::vector<const memory::memory_item*>& entries,
                                       const std::string& state, const technique_config& cfg,
                                       technique_pick& pick);

/// Draws one technique for a parent of `family` in `state` on `catalogue`'s backend from the
/// knowledge-base `entries` (other backends', families' and non-technique items are ignored).
/// Score = predicted_speedup - use_penalty * log(1 + uses); a technique whose entry for `state`
/// is retired is left out. The k best (ties by id) are drawn from by softmax(score / temperature).
/// Deterministic for `seed`; an empty pick when nothing applies.
[[nodiscard]] technique_pick draw_technique(const technique_catalogue& catalogue,
                                            const std::vector<memory::memory_item>& entries,
                                            const std::string& family, const std::string& state,
                                            uint64_t seed, const technique_config& cfg);

}  // namespace kforge::actors
