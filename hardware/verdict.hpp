#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::hardware {

/// Gate names, in the order they run. "parse" is the LLM proxy's: a reply with no usable kernel.
inline constexpr const char* gate_parse = "parse";
inline constexpr const char* gate_hack = "hack";
inline constexpr const char* gate_compile = "compile";
inline constexpr const char* gate_correctness = "correctness";
inline constexpr const char* gate_latency = "latency";

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

/// Timing of the latency gate, in nanoseconds per call.
struct timing_stats {
  double median_ns = 0;
  double min_ns = 0;
  double mean_ns = 0;
  double stddev_ns = 0;
  int32_t count = 0;  ///< timed runs after warm-up
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timing_stats& x) {
  return f(caf::meta::type_name("timing_stats"), x.median_ns, x.min_ns, x.mean_ns, x.stddev_ns, x.count);
}

/// The verifier's judgement of one candidate. A kernel that fails is a verdict, never an error.
struct verdict {
  bool feasible = false;    ///< passed hack, compile and correctness
  std::string failed_gate;  ///< first failing gate; empty if every gate passed
  std::vector<gate_result> gates;
  timing_stats timing;       ///< valid when the latency gate passed
  double max_abs_error = 0;  ///< largest |out - ref| over all seeds (correctness gate)
  double compile_ms = 0;     ///< wall time of the compile stage
  double run_ms = 0;         ///< wall time of the run stage
  std::string device;        ///< e.g. "cpu"

  /// True if every gate, latency included, passed.
  [[nodiscard]] bool is_timed() const noexcept { return feasible && failed_gate.empty() && timing.count > 0; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verdict& x) {
  return f(caf::meta::type_name("verdict"), x.feasible, x.failed_gate, x.gates, x.timing, x.max_abs_error,
           x.compile_ms, x.run_ms, x.device);
}

/// Makes a verdict that failed at `gate` with `detail`; earlier gates are recorded as passed.
[[nodiscard]] verdict failed_verdict(const std::string& gate, std::string detail, std::string device);

}  // namespace kforge::hardware
