#include "actors/retriever/kb_sampler.hpp"
#include "runtime/base/rng.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace kforge::actors::detail {

namespace {

size_t lowbit(size_t i) noexcept {
  return i & (~i + 1);
}

double clamped_exp(double x) noexcept {
  return std::exp(std::clamp(x, -700.0, 700.0));
}

// An entry already drawn: its group, position and the weight it had in the draw.
struct taken {
  size_t group;
  size_t pos;
  double weight;
};

// The first position p of `tree` with prefix(p) - (weights of `gone` at or before p) > r, for
// `gone` sorted by position: that is the walk over the entries left, in position order.
size_t find_left(const weight_tree& tree, int v, double r, const std::vector<taken>& gone) {
  double skipped = 0;
  size_t start = 0;
  for (size_t k = 0; k <= gone.size(); ++k) {
    size_t end = k < gone.size() ? gone[k].pos : tree.size();
    if (end > start && (k == gone.size() || tree.prefix(end - 1, v) - skipped > r))
      return std::clamp(tree.find(r + skipped, v), start, end - 1);
    if (k < gone.size()) {
      skipped += gone[k].weight;
      start = gone[k].pos + 1;
    }
  }
  // Rounding left r past the last entry: take the last one still left.
  for (size_t p = tree.size(); p-- > 0;)
    if (std::none_of(gone.begin(), gone.end(), [&](const taken& t) { return t.pos == p; }))
      return p;
  return 0;
}

}  // namespace

kb_weights kb_weights_of(double score, double bound_match, double family_match, double temperature) noexcept {
  double t = std::max(1e-6, temperature);
  return {clamped_exp(score / t), clamped_exp(score * bound_match / t),
          clamped_exp(score * family_match / t)};
}

void weight_tree::add(size_t pos, const kb_weights& delta) noexcept {
  for (size_t i = pos + 1; i < tree_.size(); i += lowbit(i))
    for (size_t v = 0; v < 3; ++v)
      tree_[i][v] += delta[v];
}

void weight_tree::note_change() {
  if (++changes_ > raw_.size() + 64)
    rebuild();
}

void weight_tree::rebuild() {
  tree_.assign(raw_.size() + 1, kb_weights{0, 0, 0});
  for (size_t i = 1; i < tree_.size(); ++i) {
    for (size_t v = 0; v < 3; ++v)
      tree_[i][v] += raw_[i - 1][v];
    size_t up = i + lowbit(i);
    if (up < tree_.size())
      for (size_t v = 0; v < 3; ++v)
        tree_[up][v] += tree_[i][v];
  }
  changes_ = 0;
}

void weight_tree::push(const kb_weights& w) {
  raw_.push_back(w);
  if (tree_.empty())
    tree_.push_back(kb_weights{0, 0, 0});
  size_t i = raw_.size();
  kb_weights node = w;
  // Node i sums (i - lowbit(i), i]: w plus the nodes that tile (i - lowbit(i), i - 1].
  for (size_t j = i - 1; j > i - lowbit(i); j -= lowbit(j))
    for (size_t v = 0; v < 3; ++v)
      node[v] += tree_[j][v];
  tree_.push_back(node);
  note_change();
}

void weight_tree::set(size_t pos, const kb_weights& w) {
  kb_weights delta{w[0] - raw_[pos][0], w[1] - raw_[pos][1], w[2] - raw_[pos][2]};
  raw_[pos] = w;
  add(pos, delta);
  note_change();
}

void weight_tree::swap_remove(size_t pos) {
  size_t last = raw_.size() - 1;
  if (pos != last)
    set(pos, raw_[last]);
  // No node below the last position covers it: dropping the last node is enough.
  raw_.pop_back();
  tree_.pop_back();
  note_change();
}

double weight_tree::prefix(size_t pos, int v) const noexcept {
  double sum = 0;
  for (size_t i = pos + 1; i > 0; i -= lowbit(i))
    sum += tree_[i][static_cast<size_t>(v)];
  return sum;
}

size_t weight_tree::find(double r, int v) const noexcept {
  size_t n = raw_.size();
  if (n == 0)
    return 0;
  size_t step = 1;
  while (step * 2 <= n)
    step *= 2;
  size_t at = 0;  // the prefix over positions < at is <= r
  for (; step > 0; step /= 2)
    if (at + step <= n && tree_[at + step][static_cast<size_t>(v)] <= r) {
      at += step;
      r -= tree_[at][static_cast<size_t>(v)];
    }
  return std::min(at, n - 1);
}

std::vector<uint32_t> draw_kb(const std::vector<kb_source>& groups, int n, uint64_t seed) {
  std::vector<uint32_t> out;
  size_t entries = 0;
  for (const auto& g : groups)
    entries += g.tree->size();
  kforge::splitmix64 rng{seed ^ 0x6b62ULL};
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  std::vector<std::vector<taken>> gone(groups.size());
  std::vector<double> left(groups.size());
  while (out.size() < static_cast<size_t>(std::max(0, n)) && out.size() < entries) {
    double total = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      double w = groups[g].tree->total(groups[g].variant);
      for (const auto& t : gone[g])
        w -= t.weight;
      bool any_left = gone[g].size() < groups[g].tree->size();
      // Rounding may leave a tiny positive sum in a drawn-out group, or none in one still holding
      // entries of negligible weight; neither may decide the draw.
      left[g] = any_left ? std::max(w, 0.0) : 0.0;
      total += left[g];
    }
    double r = unit(rng) * total;
    size_t g = 0;
    size_t last_left = groups.size();
    for (size_t k = 0; k < groups.size(); ++k)
      if (gone[k].size() < groups[k].tree->size())
        last_left = k;
    for (; g < last_left; ++g) {
      if (gone[g].size() < groups[g].tree->size() && r < left[g])
        break;
      r -= left[g];
    }
    const auto& tree = *groups[g].tree;
    auto v = groups[g].variant;
    auto pos = find_left(tree, v, std::max(0.0, std::min(r, left[g])), gone[g]);
    out.push_back((*groups[g].slots)[pos]);
    taken t{g, pos, tree.raw(pos)[static_cast<size_t>(v)]};
    gone[g].insert(std::upper_bound(gone[g].begin(), gone[g].end(), t,
                                    [](const taken& a, const taken& b) { return a.pos < b.pos; }),
                   t);
  }
  return out;
}

}  // namespace kforge::actors::detail
