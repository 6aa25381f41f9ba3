#pragma once

// The machine's own roofline peaks, measured by micro-benchmarks in this
// process: memory bandwidth with a STREAM-like triad at several working-set
// sizes (a bandwidth curve: warm-cache kernels of a small task are bounded by
// the cache level they fit in, not by DRAM), and FP32 FMA throughput of one
// core with the widest vector unit the CPU offers. One core, because kforge
// times candidates on one pinned core.

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kforge::hardware {

/// One point of the bandwidth curve: a working set and the triad bandwidth measured on it.
struct bandwidth_point {
  double bytes = 0;  ///< working set of the triad (three arrays), bytes
  double gbps = 0;   ///< best measured bandwidth, GB/s (1e9 bytes/s; equals bytes/ns)
};

/// Measured peaks of one device.
struct machine_peaks {
  double gflops = 0;                       ///< FP32 FMA throughput of one core, GFLOP/s
  std::vector<bandwidth_point> bandwidth;  ///< ascending by bytes
  std::string signature;                   ///< machine_signature() when measured
  std::string source = "measured";         ///< measured | cached | nominal
  double measure_ms = 0;                   ///< wall time of the measurement
  std::string isa;                         ///< vector unit used for the FMA benchmark

  /// The roof bandwidth for a kernel moving `bytes`: that of the largest measured working set
  /// not above `bytes` (the first point below the curve), or of a larger set where one measured
  /// faster. Bandwidth falls as the working set grows, so this never undercuts what a kernel of
  /// that size can reach. 0 if the curve is empty.
  [[nodiscard]] double gbps_for(double bytes) const noexcept;
};

/// The default working sets of the bandwidth curve: 16 KiB to 128 MiB, two points per doubling
/// (16, 24, 32, 48, ... KiB), so that a kernel's roof is at most a step of 1.5x in working set
/// from its own size: with a few points only, kernels between two of them reported up to 213 %
/// of their roof (a 2-16 MiB working set was given the 16 MiB point's DRAM-like bandwidth).
[[nodiscard]] std::vector<double> default_working_sets_kib();

/// Version of what a curve point means (the better of a triad and a read-only stream); cached
/// curves of another version are measured again.
inline constexpr const char* bandwidth_curve_version = "triad+read/2";

/// How long and how large the micro-benchmarks are; from the campaign config ([machine]).
struct peak_options {
  std::vector<double> working_sets_kib = default_working_sets_kib();  ///< working sets (KiB)
  double min_ms_per_size = 40;  ///< repeat the triad at one size for at least this long
  double fma_ms = 150;          ///< run the FMA kernel for about this long
};

/// A stable description of this machine: CPU model, core count, vector flags, kernel
/// release. Peaks cached under another signature are measured again.
[[nodiscard]] std::string machine_signature();

/// Runs the micro-benchmarks on the calling thread (a second or so with the default
/// options). Errors: errc::io_failed when memory for the largest working set cannot be had.
[[nodiscard]] caf::expected<machine_peaks> measure_peaks(const peak_options& opts);

/// Encodes the bandwidth curve as JSON [[bytes, gbps], ...] (stored in the meta table).
[[nodiscard]] std::string encode_bandwidth(const std::vector<bandwidth_point>& curve);

/// Decodes encode_bandwidth's text; empty on malformed input.
[[nodiscard]] std::vector<bandwidth_point> decode_bandwidth(const std::string& text);

}  // namespace kforge::hardware
