#pragma once

// The campaign's figures of merit, computed in one place so that the terminal
// summary, the HTTP API, /metrics and the stored candidates agree. They follow
// KernelBench: speedup = reference time / candidate time; fast_p = the share of
// tasks whose kernel is correct and more than p times faster than the reference.
// A speedup of 0 means "none": not timed, not correct, or no reference.

#include <cstddef>
#include <utility>
#include <vector>

namespace kforge {

/// Reference latency over candidate latency (any one unit), or 0 when either is not positive.
[[nodiscard]] double speedup(double reference, double candidate) noexcept;

/// The geometric means of one speedup per task.
struct speedup_means {
  size_t tasks = 0;         ///< every task given
  size_t correct = 0;       ///< tasks with a speedup above 0
  double over_all = 0;      ///< over every task, one without a speedup counting as 1.0; 0 with no tasks
  double over_correct = 0;  ///< over the correct tasks only; 0 with none
};

/// Geometric means of `speedups` (one per task, 0 = none).
[[nodiscard]] speedup_means geomean_speedups(const std::vector<double>& speedups) noexcept;

/// How many of `speedups` (one per task, 0 = none) are above 0 and strictly above `p`.
[[nodiscard]] size_t count_faster(const std::vector<double>& speedups, double p) noexcept;

/// fast_p: the share of `speedups` (one per task, 0 = none) above 0 and strictly above `p`; 0 for
/// no tasks. fast_0 is the share of correct tasks.
[[nodiscard]] double fast_p(const std::vector<double>& speedups, double p) noexcept;

/// fast_p at p = 0, step, 2 step, ... up to `max_p` inclusive, as (p, share) pairs.
/// `step` must be positive.
[[nodiscard]] std::vector<std::pair<double, double>> fast_p_curve(const std::vector<double>& speedups,
                                                                  double step = 0.25, double max_p = 4.0);

}  // namespace kforge
