#include "hardware/native/cuda_toolchain.hpp"

#include <algorithm>
#include <utility>

namespace kforge::hardware {

cpu_backend_config cuda_native_config(cpu_backend_config base, const std::string& nvcc,
                                      const std::vector<std::string>& nvcc_flags, const std::string& arch,
                                      int gpu_index) {
  auto c = std::move(base);
  c.language = "cuda";
  c.cxx = nvcc;
  c.cxx_flags = nvcc_flags;
  c.cxx_flags.push_back("-arch=" + arch);
  c.harness_flags = {"-O2", "-arch=" + arch};
  c.device = "cuda:" + std::to_string(gpu_index);
  // The CUDA driver maps far more virtual memory than it uses: RLIMIT_AS would break it.
  c.compile_limits.address_space_bytes = 0;
  c.run_limits.address_space_bytes = 0;
  c.run_limits.processes = std::max<int64_t>(c.run_limits.processes, 1024);
  c.run_limits.open_files = std::max<int64_t>(c.run_limits.open_files, 256);
  // Cold L2 before every timed call (the harness writes twice the device's L2).
  c.flush_kib = std::max<int64_t>(c.flush_kib, 1);
  c.extra_env.push_back("CUDA_VISIBLE_DEVICES=" + std::to_string(gpu_index));
  return c;
}

}  // namespace kforge::hardware
