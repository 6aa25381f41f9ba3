#pragma once

// What the curator learns from one committed experience, free of CAF and
// LMDB: Monte-Carlo value updates and the memory items an experience
// creates or reinforces.
//
// Items and their ids (stable, so the same evidence from another task lands
// on the same item):
//   seed          sha256("seed", family, knobs)            a feasible draft setting
//   optimization  sha256("opt", family, state, changes)    a knob change applied in refine to a parent
//                                                          in performance state `state`: a knowledge-base
//                                                          entry with samples and mean measured speedup
//   trajectory    sha256("traj", candidate hash)           parent -> child with its measured effect
//
// A model's kernels (no knobs) give items in words, tagged memory::words_tag, whose text is the
// model's own statement of what it did (its "Optimization:" line, and its "Technique:") and what
// kforge measured (gates, latency, speedup over the reference and the parent, share of the roofline):
//   seed          sha256("seed-words", family, statement)  a feasible draft (an unnamed one: its hash)
//   trajectory    sha256("traj", candidate hash)           every refine step, failed ones included;
//                                                          payload: technique, speedups, failed gate

#include "memory/records.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kforge::actors {

/// Value-learning constants; from the campaign config.
struct value_config {
  double alpha = 0.2;  ///< Monte-Carlo step size
};

/// Q <- Q + alpha (r - Q) on the stage's value ("draft" updates Q1, else Q2), counting the visit.
void update_value(memory::memory_item& item, const std::string& stage, double reward, double alpha) noexcept;

/// The knob changes from `parent` to `child`: settings of the child that differ, in the child's order.
[[nodiscard]] std::vector<kforge::knob_setting> knob_changes(const std::vector<kforge::knob_setting>& parent,
                                                             const std::vector<kforge::knob_setting>& child);

/// Formats settings as "A=1 B=2".
[[nodiscard]] std::string format_settings(const std::vector<kforge::knob_setting>& settings);

/// Items an experience creates or reinforces. `parent` is the refined
/// candidate (absent in draft). Each returned item carries only identity,
/// kind, family, state, text, payload and this task as source; the caller
/// merges it with a stored item of the same id (values, visits, sources).
/// `reward` is the candidate's reward; a new item starts with its stage value at it.
/// `roofline_ns` is the task's roofline time (0 = unknown), for the share of the roofline.
[[nodiscard]] std::vector<memory::memory_item> derive_items(
    const memory::candidate_record& cand, const memory::task_record& task,
    const std::optional<memory::candidate_record>& parent, int64_t now_ms, double roofline_ns = 0);

/// Merges freshly derived `fresh` into `stored` (same id): adds the source
/// task, refreshes text and payload, keeps the learned values, and folds the
/// fresh measured samples into the running mean speedup.
void merge_item(memory::memory_item& stored, const memory::memory_item& fresh);

}  // namespace kforge::actors
