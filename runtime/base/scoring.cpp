#include "runtime/base/scoring.hpp"

#include <algorithm>
#include <cmath>

namespace kforge {

double speedup(double reference, double candidate) noexcept {
  // Written so that NaN timings fail the test and give "none" too.
  if (!(reference > 0) || !(candidate > 0))
    return 0.0;
  return reference / candidate;
}

speedup_means geomean_speedups(const std::vector<double>& speedups) noexcept {
  speedup_means out;
  out.tasks = speedups.size();
  if (speedups.empty())
    return out;
  // A task without a correct kernel keeps its reference: its log 1 = 0 adds nothing to the sum
  // over all tasks, only to their count.
  double log_sum = 0;
  for (double s : speedups) {
    if (s > 0) {
      out.correct += 1;
      log_sum += std::log(s);
    }
  }
  out.over_all = std::exp(log_sum / static_cast<double>(out.tasks));
  if (out.correct > 0)
    out.over_correct = std::exp(log_sum / static_cast<double>(out.correct));
  return out;
}

size_t count_faster(const std::vector<double>& speedups, double p) noexcept {
  size_t n = 0;
  for (double s : speedups)
    if (s > 0 && s > p)
      n += 1;
  return n;
}

double fast_p(const std::vector<double>& speedups, double p) noexcept {
  if (speedups.empty())
    return 0.0;
  return static_cast<double>(count_faster(speedups, p)) / static_cast<double>(speedups.size());
}

std::vector<std::pair<double, double>> fast_p_curve(const std::vector<double>& speedups, double step,
                                                    double max_p) {
  std::vector<std::pair<double, double>> out;
  if (!(step > 0))
    return out;
  // Points by index, not by summing steps, so that 0.25 * 16 lands on 4 exactly.
  for (int i = 0;; ++i) {
    double p = i * step;
    if (p > max_p + step * 1e-9)
      break;
    out.emplace_back(p, fast_p(speedups, p));
  }
  return out;
}

latency_interval interval_of(const timing_stats& t, double noise) noexcept {
  if (t.count <= 0 || !(t.median_ns > 0))
    return {};
  double half = std::max(t.ci_half_ns, std::max(0.0, noise) / 2.0 * t.median_ns);
  return {t.median_ns - half, t.median_ns + half};
}

bool beats_beyond_noise(const timing_stats& faster, const timing_stats& slower, double noise) noexcept {
  if (faster.count <= 0 || slower.count <= 0 || !(faster.median_ns > 0) || !(slower.median_ns > 0))
    return false;
  return interval_of(faster, noise).hi < interval_of(slower, noise).lo;
}

double gain_beyond_noise(const timing_stats& before, const timing_stats& after, double noise) noexcept {
  auto ratio = speedup(before.count > 0 ? before.median_ns : 0, after.count > 0 ? after.median_ns : 0);
  if (ratio <= 0)
    return 0.0;
  if (beats_beyond_noise(after, before, noise) || beats_beyond_noise(before, after, noise))
    return ratio;
  return 1.0;
}

timing_stats latency_of(double median_ns, double ci_half_ns) noexcept {
  timing_stats t;
  if (!(median_ns > 0))
    return t;
  t.median_ns = median_ns;
  t.min_ns = median_ns;
  t.mean_ns = median_ns;
  t.ci_half_ns = std::max(0.0, ci_half_ns);
  t.count = 1;
  return t;
}

}  // namespace kforge
