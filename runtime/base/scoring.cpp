#include "runtime/base/scoring.hpp"

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

}  // namespace kforge
