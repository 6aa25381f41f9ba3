#pragma once

// Finds CUDA at run time: the driver through dlopen("libcuda.so.1") and the
// compiler on disk. kforge has no build-time CUDA dependency; on a host
// without CUDA discovery reports why, and nothing else changes.

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::hardware {

/// One GPU the driver reports.
struct cuda_gpu {
  int index = 0;     ///< driver ordinal (what CUDA_VISIBLE_DEVICES names)
  std::string name;  ///< "NVIDIA H100 80GB HBM3"
  int major = 0;     ///< compute capability
  int minor = 0;
  int sm_count = 0;          ///< multiprocessors
  int64_t memory_bytes = 0;  ///< global memory
  int64_t l2_bytes = 0;      ///< L2 cache
  int clock_khz = 0;         ///< SM clock
  int memory_clock_khz = 0;  ///< memory clock
  int bus_width_bits = 0;    ///< memory bus width

  /// "sm_90" for compute capability 9.0.
  [[nodiscard]] std::string arch() const { return "sm_" + std::to_string(major) + std::to_string(minor); }
  /// Peak FP32 rate without tensor cores (GFLOP/s): SMs x 128 lanes x 2 (FMA) x clock.
  [[nodiscard]] double peak_fp32_gflops() const { return sm_count * 128.0 * 2.0 * clock_khz * 1e3 / 1e9; }
  /// Peak memory bandwidth from the clocks and bus width (GB/s; DDR: 2 transfers a clock).
  [[nodiscard]] double peak_gbps() const {
    return 2.0 * memory_clock_khz * 1e3 * (bus_width_bits / 8.0) / 1e9;
  }
};

/// What discovery found.
struct cuda_environment {
  bool driver = false;     ///< libcuda loaded and cuInit succeeded
  std::string problem;     ///< why there is no usable GPU ("no CUDA driver: libcuda.so.1: cannot open ...")
  int driver_version = 0;  ///< cuDriverGetVersion, e.g. 13000
  std::vector<cuda_gpu> gpus;

  /// True when at least one GPU can run kernels.
  [[nodiscard]] bool usable() const { return driver && !gpus.empty(); }
};

/// Loads the driver library `library` (default libcuda.so.1) with dlopen and
/// asks it for every device. Never fails: a missing driver, a failing cuInit
/// or zero devices is a cuda_environment with `problem` set. Thread-safe
/// (the library stays loaded).
[[nodiscard]] cuda_environment discover_cuda(const std::string& library = "libcuda.so.1");

/// The nvcc to use: `configured` when not empty (a path), else
/// $CUDA_HOME/bin/nvcc, $CUDA_PATH/bin/nvcc, /usr/local/cuda/bin/nvcc, then
/// `nvcc` on $PATH. Empty when none exists.
[[nodiscard]] std::string find_nvcc(const std::string& configured = {});

/// Nsight Compute: `ncu` beside `nvcc`, then on $PATH; empty when none exists.
[[nodiscard]] std::string find_ncu(const std::string& nvcc);

/// The last line of `nvcc --version` ("Build cuda_13.0.r13.0/compiler..."), or "" when it does not run.
[[nodiscard]] std::string nvcc_version(const std::string& nvcc);

/// One line per GPU ("cuda:0 NVIDIA H100 80GB HBM3, sm_90, 132 SMs, 79.1 GiB, L2 50 MiB"), or the problem.
[[nodiscard]] std::string describe(const cuda_environment& env);

}  // namespace kforge::hardware
