#pragma once

// Insight consolidation, free of CAF and LMDB: turns repeated evidence in the
// memory into short insight items made of counts and measured effects (no
// invented text), and retires items whose values stay low, so that memory
// stays useful as it grows. The curator runs it every `every` commits.
//
// Insights and their ids:
//   refine  sha256("insight", family, changes)   the same knob change seen in at least
//           min_evidence trajectory steps: how often, on how many tasks, its mean /
//           min / max measured speedup over the parent. Payload {"changes": [...], ...}:
//           the offline policy applies it like an optimization.
//   draft   sha256("insight-draft", family, knob, value)   a knob value that the feasible
//           seeds of a family agree on (at least min_evidence of them, at least half of
//           the family's seeds). Payload {"knobs": {knob: value}, ...}: a partial seed.
//   words   sha256("insight-words", stage, technique)   a model's kernels (items in words):
//           the refine steps (stage refine) or feasible drafts (stage draft) that name a
//           technique (each technique of a "Technique:" line; an item naming none counts
//           under its statement), across tasks and families, at least min_evidence of them:
//           how many, on which tasks and families, the mean / min / max measured speedup
//           over the parent (refine) or the reference (draft), how many failed which gate.
//           Family: the one family, or empty when the evidence spans several. In words, tagged
//           memory::words_tag; no knob settings.
// Retirement: an item (any kind) with at least retire_min_visits value updates
// whose visited stage values all stay below retire_below.

#include "memory/records.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::actors {

/// Consolidation constants; from the campaign config ([memory]).
struct consolidation_config {
  int32_t every = 40;  ///< run after this many committed experiences (0 = never)
  /// ...and at least this long after the previous pass, on the curator's actor clock (0 = no
  /// bound): a fast campaign (the null device commits thousands a second) then passes a few
  /// times a second instead of hundreds, a model's campaign is never held back by it.
  int32_t min_interval_ms = 0;
  int32_t min_evidence = 3;       ///< observations before a rule becomes an insight
  int32_t retire_min_visits = 8;  ///< value updates before an item may be retired
  double retire_below = -0.5;     ///< retire when every visited stage value is below this
};

/// What one consolidation pass changes.
struct consolidation {
  std::vector<memory::memory_item> insights;  ///< new or refreshed insights (values not set)
  std::vector<std::string> retire;            ///< ids of items to retire
};

/// Scans `items` (the whole memory) and returns the insights their evidence
/// supports and the items to retire. Deterministic; the caller merges the
/// insights with stored ones of the same id (keeping learned values).
[[nodiscard]] consolidation consolidate(const std::vector<memory::memory_item>& items,
                                        const consolidation_config& cfg, int64_t now_ms);

/// True if `item` should be retired under `cfg`.
[[nodiscard]] bool should_retire(const memory::memory_item& item, const consolidation_config& cfg) noexcept;

}  // namespace kforge::actors
