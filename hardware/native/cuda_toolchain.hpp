#pragma once

// The native backend with the CUDA toolchain: CUDA C++ kernels built by nvcc
// against the CUDA harness (harness_source_cuda) run through the same gates,
// sandbox, result channel and trusted comparison as C++ kernels.

#include "hardware/native/cpu_backend.hpp"

#include <string>
#include <vector>

namespace kforge::hardware {

/// The native backend's settings for CUDA kernels on GPU `gpu_index` from a
/// CPU configuration `base`: language "cuda", `nvcc` as the compiler with
/// `nvcc_flags` and -arch=`arch`, no address-space limit (the CUDA driver
/// reserves far more virtual memory than it uses), CUDA_VISIBLE_DEVICES set
/// to the GPU, the L2 flush on, and the verdicts' device "cuda:<index>".
[[nodiscard]] cpu_backend_config cuda_native_config(cpu_backend_config base, const std::string& nvcc,
                                                    const std::vector<std::string>& nvcc_flags,
                                                    const std::string& arch, int gpu_index);

}  // namespace kforge::hardware
