#include "actors/task/archive.hpp"
#include "runtime/base/rng.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace kforge::actors {

void archive::add(const memory::candidate_record& cand) {
  if (!cand.verdict.is_timed() || index_.count(cand.hash) > 0)
    return;
  archive_entry e;
  e.hash = cand.hash;
  e.knobs = cand.knobs;
  e.source = cand.source;
  e.latency_ns = cand.verdict.timing.median_ns;
  e.ci_half_ns = cand.verdict.timing.ci_half_ns;
  e.perf_state = cand.perf_state;
  index_.emplace(e.hash, all_.size());
  auto at = std::upper_bound(by_latency_.begin(), by_latency_.end(), e.latency_ns,
                             [this](double ns, size_t i) { return ns < all_[i].latency_ns; });
  by_latency_.insert(at, all_.size());
  all_.push_back(std::move(e));
  if (best_ns_ <= 0 || cand.verdict.timing.median_ns < best_ns_)
    best_ns_ = cand.verdict.timing.median_ns;
}

double archive::prior(double latency_ns) const noexcept {
  return std::tanh(cfg_.prior_scale * (std::log(best_ns_) - std::log(latency_ns)));
}

void archive::reward_parent(const std::string& hash, double reward) {
  auto it = index_.find(hash);
  if (it == index_.end())
    return;
  auto& e = all_[it->second];
  if (e.visits == 0)
    e.q2 = prior(e.latency_ns);  // its prior, as of now
  e.q2 += cfg_.alpha * (reward - e.q2);
  e.visits += 1;
}

int32_t archive::distance(const std::vector<kforge::knob_setting>& a,
                          const std::vector<kforge::knob_setting>& b) {
  int32_t d = 0;
  for (const auto& x : a) {
    auto it = std::find_if(b.begin(), b.end(), [&](const auto& y) { return y.name == x.name; });
    if (it == b.end() || it->value != x.value)
      ++d;
  }
  for (const auto& y : b)
    if (std::none_of(a.begin(), a.end(), [&](const auto& x) { return x.name == y.name; }))
      ++d;
  return d;
}

std::vector<size_t> archive::member_positions() const {
  std::vector<size_t> out;
  size_t best = static_cast<size_t>(std::max(0, cfg_.best));
  size_t diverse = 0;
  for (auto i : by_latency_) {
    if (out.size() < best) {
      out.push_back(i);
      continue;
    }
    if (diverse >= static_cast<size_t>(std::max(0, cfg_.diverse)))
      break;
    bool far = std::all_of(out.begin(), out.end(), [&](size_t m) {
      return distance(all_[m].knobs, all_[i].knobs) >= cfg_.min_distance;
    });
    if (far) {
      out.push_back(i);
      ++diverse;
    }
  }
  return out;
}

double archive::member_q2(size_t i) const noexcept {
  return all_[i].visits == 0 ? prior(all_[i].latency_ns) : all_[i].q2;
}

std::vector<archive_entry> archive::members() const {
  std::vector<archive_entry> out;
  for (auto i : member_positions()) {
    out.push_back(all_[i]);
    out.back().q2 = member_q2(i);
  }
  return out;
}

archive_entry archive::pick_parent(uint64_t seed) const {
  auto m = member_positions();
  if (m.empty())
    return {};
  kforge::splitmix64 rng{seed};
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  size_t pick = 0;
  if (m.size() > 1 && coin(rng) < cfg_.epsilon) {
    std::uniform_int_distribution<size_t> any{0, m.size() - 1};
    pick = any(rng);
  } else {
    for (size_t i = 1; i < m.size(); ++i)
      if (member_q2(m[i]) > member_q2(m[pick]))
        pick = i;
  }
  auto chosen = all_[m[pick]];  // only the chosen member is copied (its source is the step's prompt)
  chosen.q2 = member_q2(m[pick]);
  return chosen;
}

}  // namespace kforge::actors
