#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kforge {

/// Gate names, in the order they run. "parse" is the LLM proxy's: a reply with no usable kernel.
inline constexpr const char* gate_parse = "parse";
inline constexpr const char* gate_hack = "hack";
inline constexpr const char* gate_compile = "compile";
inline constexpr const char* gate_correctness = "correctness";
inline constexpr const char* gate_latency = "latency";
/// The kernelbench backend's: a ModelNew that launches no kernel of its own (only torch ops, a
/// torch fallback, or no call into its extension while checked). Configurable per campaign.
inline constexpr const char* gate_bypass = "bypass";
/// Not a gate of the harness: a speedup above the review threshold that did not hold when the
/// verifier re-measured it in a fresh process. The kernel was correct; its figure is not trusted.
inline constexpr const char* gate_suspect = "suspect";

/// Outcome of one gate. `detail` is truncated feedback for the policy
/// (compiler output, mismatch position and magnitude, signal, timeout).
struct gate_result {
  std::string gate;
  bool passed = false;
  std::string detail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gate_result& x) {
  return f(caf::meta::type_name("gate_result"), x.gate, x.passed, x.detail);
}

/// Timing of the latency gate, in nanoseconds per call. The verifier computes
/// it from the raw per-call durations the harness reports.
struct timing_stats {
  double median_ns = 0;
  double min_ns = 0;
  double mean_ns = 0;
  double stddev_ns = 0;
  int32_t count = 0;      ///< timed runs after warm-up
  double ci_half_ns = 0;  ///< half-width of the distribution-free 95 % confidence interval of the median (ns)
  bool converged = false;  ///< ci_half_ns < ci_width x median when the measurement ended
  bool noisy = false;      ///< still not converged after one re-measurement: do not trust small differences

  /// ci_half_ns relative to the median (0.02 = +-2 %), or 0 without timings.
  [[nodiscard]] double relative_ci() const noexcept { return median_ns > 0 ? ci_half_ns / median_ns : 0; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timing_stats& x) {
  return f(caf::meta::type_name("timing_stats"), x.median_ns, x.min_ns, x.mean_ns, x.stddev_ns, x.count,
           x.ci_half_ns, x.converged, x.noisy);
}

/// The 1-based ranks [lo, hi] of the order statistics that bound a distribution-free
/// 95 % confidence interval of the median of `n` samples: n/2 -+ 1.96 sqrt(n) / 2,
/// rounded outwards and clamped to [1, n]. {0, 0} for n == 0. The generated
/// harness uses the same formula to decide when to stop timing.
struct median_ci_ranks {
  int64_t lo = 0;  ///< rank of the lower bound
  int64_t hi = 0;  ///< rank of the upper bound
};

/// The ranks of the 95 % confidence interval of the median of `n` samples (see median_ci_ranks).
[[nodiscard]] median_ci_ranks median_ci(int64_t n) noexcept;

/// Median, minimum, mean, sample standard deviation, count and the half-width of
/// the median's 95 % confidence interval of `ns`; `converged` is set when that
/// half-width is below `ci_width` times the median (so ci_width 0 never converges).
[[nodiscard]] timing_stats summarize_timing(std::vector<uint64_t> ns, double ci_width = 0.02);

/// True if the medians of `a` and `b` differ by more than `threshold` relative
/// to the smaller one (0.1 = 10 %). False when either has no timings.
[[nodiscard]] bool timings_disagree(const timing_stats& a, const timing_stats& b, double threshold) noexcept;

/// The verifier's judgement of one candidate. A kernel that fails is a verdict, never an error.
struct verdict {
  bool feasible = false;    ///< passed hack, compile and correctness
  std::string failed_gate;  ///< first failing gate; empty if every gate passed
  std::vector<gate_result> gates;
  timing_stats timing;        ///< valid when the latency gate passed; the last measurement when re-measured
  double max_abs_error = 0;   ///< largest |out - ref| over all seeds (correctness gate)
  double compile_ms = 0;      ///< wall time of the compile stage
  double run_ms = 0;          ///< wall time of the run stage (every run of the harness)
  std::string device;         ///< e.g. "cpu"
  double reference_ns = 0;    ///< the reference's median the speedup check used (ns); 0 if unknown
  bool flagged = false;       ///< faster than flag_speedup x the reference: re-measured, needs review
  timing_stats first_timing;  ///< the first measurement when the candidate was measured twice, else count 0
  bool timings_disagree = false;  ///< the two measurements' medians differ by more than the noise threshold

  /// True if every gate, latency included, passed.
  [[nodiscard]] bool is_timed() const noexcept { return feasible && failed_gate.empty() && timing.count > 0; }

  /// True if a speedup above the review threshold did not hold on re-measurement (gate_suspect).
  [[nodiscard]] bool is_suspect() const noexcept { return failed_gate == gate_suspect; }

  /// True if the candidate was timed twice (noise or an implausible speedup).
  [[nodiscard]] bool is_remeasured() const noexcept { return first_timing.count > 0; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verdict& x) {
  return f(caf::meta::type_name("verdict"), x.feasible, x.failed_gate, x.gates, x.timing, x.max_abs_error,
           x.compile_ms, x.run_ms, x.device, x.reference_ns, x.flagged, x.first_timing, x.timings_disagree);
}

/// `v` (a timed verdict) marked suspect: every gate it passed kept, then gate_suspect failed
/// with `reason`; timing, flags and errors stay as measured, so the record shows what was seen.
[[nodiscard]] verdict suspect_verdict(verdict v, std::string reason);

/// Makes a verdict that failed at `gate` with `detail`; earlier gates are recorded as passed.
[[nodiscard]] verdict failed_verdict(const std::string& gate, std::string detail, std::string device);

}  // namespace kforge
