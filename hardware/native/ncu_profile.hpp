#pragma once

// What Nsight Compute says about a timed CUDA kernel, and the roofline from
// the measured time where it says nothing. The native backend runs ncu
// (cpu_backend::profile); this is the pure part: parsing and wording.

#include <string>

namespace kforge::hardware {

/// The performance profile of one kernel: Nsight Compute's metrics
/// where ncu works, otherwise a roofline from the measured time; `source` says which.
struct kernel_profile {
  std::string source;          ///< "ncu" or "roofline from time"
  double memory_pct = -1;      ///< ncu: gpu__compute_memory_throughput, % of peak
  double compute_pct = -1;     ///< ncu: sm__throughput, % of peak
  double occupancy_pct = -1;   ///< ncu: sm__warps_active (achieved occupancy), % of peak
  double kernel_ns = -1;       ///< ncu: gpu__time_duration of the profiled launch
  std::string kernel;          ///< ncu: the profiled kernel's name
  double achieved_gbps = 0;    ///< task bytes / median time
  double achieved_gflops = 0;  ///< task flops / median time
  double roofline_pct = 0;     ///< the roofline floor over the median time, % (0 when peaks are unknown)
  std::string note;            ///< why ncu gave nothing, when it did not
};

/// One line: "ncu: memory 85.1 %, compute 20.3 %, occupancy 71.0 % (kf_kernel); 2950 GB/s, 60 % of the
/// roofline".
[[nodiscard]] std::string describe_profile(const kernel_profile& p);

/// Parses `ncu --csv` output: the first launch's value of each metric named in
/// kernel_profile (values may carry thousands separators). Pure.
[[nodiscard]] kernel_profile parse_ncu_csv(const std::string& csv);

}  // namespace kforge::hardware
