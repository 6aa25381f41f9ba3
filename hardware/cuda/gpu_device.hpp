#pragma once

// The device of one GPU. CUDA tasks (backend "cuda", docs/task-format.md)
// run on the native backend (cpu_backend) with the CUDA toolchain: nvcc in the
// sandbox, the generated CUDA harness (harness_source_cuda: CUDA events, warm-up,
// timed runs with an L2 flush before each, fresh inputs per call) and the same
// nonce-framed result channel, compared in kforge by the trusted comparison.
// KernelBench problems (backend "kernelbench") run on kernelbench_device. One
// gpu_device per GPU holds both and is the verifier pool's backend for that GPU.

#include "hardware/backend.hpp"
#include "hardware/cuda/cuda_discovery.hpp"
#include "hardware/kernelbench/kernelbench_device.hpp"
#include "hardware/native/cpu_backend.hpp"
#include "hardware/native/cuda_toolchain.hpp"

#include <memory>
#include <string>
#include <vector>

namespace kforge::hardware {

/// Makes the CUDA-kernel backend for one GPU (a cpu_device with the CUDA
/// toolchain); `toolchain` (nvcc's version, the GPU's name) enters the build signature.
[[nodiscard]] std::shared_ptr<backend> make_cuda_kernels(cpu_backend_config config,
                                                         const std::string& toolchain);

/// The kernelbench backend's settings for GPU `gpu_index`: `python` (an
/// absolute path), PATH = python's folder, nvcc's folder, /usr/bin, /bin;
/// CUDA_HOME = nvcc's installation; TORCH_CUDA_ARCH_LIST from `arch`
/// ("sm_90" -> "9.0"); `passthrough` ("KEY=value", e.g. LD_LIBRARY_PATH)
/// added; no address-space or CPU-time limit (torch and the CUDA driver map
/// far more than they use), 4096 processes (load_inline runs ninja and nvcc).
[[nodiscard]] kernelbench_config make_kernelbench_config(const std::string& python, const std::string& nvcc,
                                                         int gpu_index, const std::string& arch,
                                                         const std::filesystem::path& work_dir,
                                                         const std::vector<std::string>& passthrough,
                                                         double compile_timeout_s = 600,
                                                         double run_timeout_s = 600);

/// One GPU's backend: tasks of backend "cuda" go to `cuda`, tasks of backend
/// "kernelbench" to `kernelbench`; either may be null (then its tasks fail
/// with a clear error). Follows the backend threading contract of both.
class gpu_device final : public backend {
 public:
  gpu_device(std::string device, std::shared_ptr<backend> cuda, std::shared_ptr<backend> kernelbench);

  [[nodiscard]] std::string device() const override { return device_; }
  [[nodiscard]] std::string build_signature() const override { return signature_; }
  [[nodiscard]] gate_result hack_check(const task_def& task, const std::string& source) const override;
  [[nodiscard]] caf::expected<reference_build> build_reference(const task_def& task,
                                                               const std::string& cached) override;
  [[nodiscard]] caf::expected<reference_run> run_reference(const task_def& task,
                                                           const reference_build& built) override;
  [[nodiscard]] caf::expected<build_result> compile(const task_def& task, const std::string& source,
                                                    const std::string& cand_id) const override;
  [[nodiscard]] caf::expected<verdict> run(const task_def& task, const build_result& compiled) override;
  void discard(const build_result& compiled) const override;

 private:
  [[nodiscard]] backend* pick(const task_def& task) const;

  std::string device_;
  std::shared_ptr<backend> cuda_;
  std::shared_ptr<backend> kernelbench_;
  std::string signature_;
};

}  // namespace kforge::hardware
