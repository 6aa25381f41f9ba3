#pragma once

// The campaign's figures of merit, computed in one place so that the terminal
// summary, the HTTP API, /metrics and the stored candidates agree. They follow
// KernelBench: speedup = reference time / candidate time; fast_p = the share of
// tasks whose kernel is correct and more than p times faster than the reference.
// A speedup of 0 means "none": not timed, not correct, or no reference.

#include "runtime/base/verdict.hpp"

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

/// The interval a measured latency is trusted to within (ns): its median -+ the larger of
/// the 95 % CI half-width of the median and `noise` / 2 x the median. `noise` is the spread
/// of medians one binary shows between processes (0.1 = 10 %), which a single run's CI does
/// not see; negative values count as 0.
struct latency_interval {
  double lo = 0;  ///< ns
  double hi = 0;  ///< ns
};

/// The trusted interval of `t` under `noise` (see latency_interval); {0, 0} without timings.
[[nodiscard]] latency_interval interval_of(const timing_stats& t, double noise) noexcept;

/// True if `faster` beats `slower` by more than the measured noise: both were timed and
/// their trusted intervals do not overlap (faster's upper end below slower's lower end).
[[nodiscard]] bool beats_beyond_noise(const timing_stats& faster, const timing_stats& slower,
                                      double noise) noexcept;

/// The speedup of `after` over `before` (before / after) when it is above the noise in
/// either direction (beats_beyond_noise one way or the other), 1.0 when the two cannot be
/// told apart, 0 when either was not timed. The figure memory rewards and knowledge-base
/// scores are made of, so that a no-op change scores exactly 1.
[[nodiscard]] double gain_beyond_noise(const timing_stats& before, const timing_stats& after,
                                       double noise) noexcept;

/// A latency known only by its median and CI half-width (a task's stored best), as timing_stats.
[[nodiscard]] timing_stats latency_of(double median_ns, double ci_half_ns) noexcept;

}  // namespace kforge
