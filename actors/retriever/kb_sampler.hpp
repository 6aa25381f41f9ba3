#pragma once

// The knowledge-base draw without a scan: choose_kb's softmax over kb_score x state match /
// temperature, drawn from sum trees kept per state group. An entry's three possible weights
// (exp(score * m / T) for m = 1, kb_bound_match, kb_family_match) are known at commit time;
// a query picks for each state group the one its relation to the query's state selects
// (the same state, the same bound, another state of the family), so a draw costs
// O(groups + log entries) instead of a pass over the family's entries.
//
// The draw has choose_kb's distribution (successive picks without replacement, each with
// probability proportional to its weight among those left), not its exact picks for a seed:
// choose_kb walks the entries in id order, a sum tree does not. Exponents are clamped to
// [-700, 700] (a kb_score under ~350 at temperature 0.5 is exact).

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kforge::actors::detail {

/// An entry's weight for each state relation: 0 the query's state, 1 the same bound, 2 another.
using kb_weights = std::array<double, 3>;

/// The three weights of an entry of kb score `score` (see kb_score) for temperature `t`.
[[nodiscard]] kb_weights kb_weights_of(double score, double bound_match, double family_match,
                                       double temperature) noexcept;

/// A Fenwick tree of kb_weights over dense positions 0..size-1: append, change and
/// swap-remove in O(log n), prefix sums and "first position whose prefix exceeds r" in O(log n).
/// Rebuilt from the raw weights after as many changes as entries, so rounding does not drift.
class weight_tree {
 public:
  void push(const kb_weights& w);
  void set(size_t pos, const kb_weights& w);
  /// Moves the last entry into `pos` and drops the last position.
  void swap_remove(size_t pos);
  /// Sum of weight `v` over positions 0..pos.
  [[nodiscard]] double prefix(size_t pos, int v) const noexcept;
  [[nodiscard]] double total(int v) const noexcept { return raw_.empty() ? 0 : prefix(raw_.size() - 1, v); }
  /// The first position whose prefix sum of weight `v` exceeds r (the last one if none does).
  [[nodiscard]] size_t find(double r, int v) const noexcept;
  [[nodiscard]] const kb_weights& raw(size_t pos) const noexcept { return raw_[pos]; }
  [[nodiscard]] size_t size() const noexcept { return raw_.size(); }

 private:
  void add(size_t pos, const kb_weights& delta) noexcept;
  void note_change();
  void rebuild();

  std::vector<kb_weights> raw_;
  std::vector<kb_weights> tree_;  // 1-based: tree_[i] sums raw_ over (i - lowbit(i), i]
  size_t changes_ = 0;
};

/// One state group offered to a draw: its tree, the weight its relation selects, its slots.
struct kb_source {
  const weight_tree* tree = nullptr;
  int variant = 0;
  const std::vector<uint32_t>* slots = nullptr;
};

/// Draws up to `n` entries over the groups without replacement, each pick with probability
/// proportional to its weight among the entries left; returns their slots in draw order.
/// Deterministic for `seed` (the query's seed, as choose_kb seeds its generator).
[[nodiscard]] std::vector<uint32_t> draw_kb(const std::vector<kb_source>& groups, int n, uint64_t seed);

}  // namespace kforge::actors::detail
