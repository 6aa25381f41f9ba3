#include "runtime/base/verdict.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace kforge {

verdict failed_verdict(const std::string& gate, std::string detail, std::string device) {
  static const std::array<const char*, 4> order = {gate_hack, gate_compile, gate_correctness, gate_latency};
  verdict v;
  v.device = std::move(device);
  v.failed_gate = gate;
  bool known = false;
  for (const char* g : order) {
    if (gate == g) {
      known = true;
      break;
    }
    v.gates.push_back(gate_result{g, true, {}});
  }
  // "parse" (or any gate not in the list) comes before every verifier gate.
  if (!known)
    v.gates.clear();
  v.gates.push_back(gate_result{gate, false, std::move(detail)});
  // Feasible means hack, compile and correctness passed: only a latency failure keeps it.
  v.feasible = gate == gate_latency;
  return v;
}

verdict suspect_verdict(verdict v, std::string reason) {
  v.failed_gate = gate_suspect;
  v.gates.push_back(gate_result{gate_suspect, false, std::move(reason)});
  return v;
}

median_ci_ranks median_ci(int64_t n) noexcept {
  if (n <= 0)
    return {};
  auto half = static_cast<double>(n) / 2.0;
  auto spread = 1.96 * std::sqrt(static_cast<double>(n)) / 2.0;
  auto lo = static_cast<int64_t>(std::floor(half - spread));
  auto hi = static_cast<int64_t>(std::ceil(half + spread));
  return {std::clamp<int64_t>(lo, 1, n), std::clamp<int64_t>(hi, 1, n)};
}

timing_stats summarize_timing(std::vector<uint64_t> ns, double ci_width) {
  timing_stats stats;
  if (ns.empty())
    return stats;
  std::sort(ns.begin(), ns.end());
  auto n = ns.size();
  stats.count = static_cast<int32_t>(n);
  stats.min_ns = static_cast<double>(ns.front());
  stats.median_ns = n % 2 == 1 ? static_cast<double>(ns[n / 2])
                               : (static_cast<double>(ns[n / 2 - 1]) + static_cast<double>(ns[n / 2])) / 2.0;
  double sum = 0;
  for (auto x : ns)
    sum += static_cast<double>(x);
  stats.mean_ns = sum / static_cast<double>(n);
  if (n > 1) {
    double sq = 0;
    for (auto x : ns)
      sq += (static_cast<double>(x) - stats.mean_ns) * (static_cast<double>(x) - stats.mean_ns);
    stats.stddev_ns = std::sqrt(sq / static_cast<double>(n - 1));
  }
  auto ranks = median_ci(static_cast<int64_t>(n));
  stats.ci_half_ns = (static_cast<double>(ns[static_cast<std::size_t>(ranks.hi - 1)]) -
                      static_cast<double>(ns[static_cast<std::size_t>(ranks.lo - 1)])) /
                     2.0;
  stats.converged = stats.ci_half_ns < ci_width * stats.median_ns;
  return stats;
}

bool timings_disagree(const timing_stats& a, const timing_stats& b, double threshold) noexcept {
  if (a.count == 0 || b.count == 0)
    return false;
  auto low = std::min(a.median_ns, b.median_ns);
  auto high = std::max(a.median_ns, b.median_ns);
  if (low <= 0)
    return high > 0;
  return (high - low) / low > threshold;
}

}  // namespace kforge
