#include "hardware/cuda/gpu_device.hpp"

#include "hardware/native/cpu_device.hpp"
#include "runtime/base/hash.hpp"

#include <algorithm>

namespace kforge::hardware {

kernelbench_config make_kernelbench_config(const std::string& python, const std::string& nvcc, int gpu_index,
                                           const std::string& arch, const std::filesystem::path& work_dir,
                                           const std::vector<std::string>& passthrough,
                                           double compile_timeout_s, double run_timeout_s) {
  kernelbench_config kb;
  kb.python = python;
  kb.gate_python = python;
  kb.work_dir = work_dir;
  auto cuda_bin = std::filesystem::path{nvcc}.parent_path();
  auto python_dir = std::filesystem::path{python}.parent_path();
  kb.extra_env = passthrough;
  kb.extra_env.push_back("PATH=" + python_dir.string() + ":" + cuda_bin.string() + ":/usr/bin:/bin");
  kb.extra_env.push_back("CUDA_HOME=" + cuda_bin.parent_path().string());
  kb.cuda_visible = std::to_string(gpu_index);
  auto digits = arch.size() > 3 ? arch.substr(3) : std::string{"90"};
  kb.arch_list = digits.size() >= 2
                     ? digits.substr(0, digits.size() - 1) + "." + digits.substr(digits.size() - 1)
                     : digits;
  kb.compile_limits = default_compile_limits();
  kb.compile_limits.wall_ms = static_cast<int64_t>(compile_timeout_s * 1000);
  kb.compile_limits.cpu_seconds = 0;
  kb.compile_limits.address_space_bytes = 0;
  kb.compile_limits.processes = 4096;
  kb.compile_limits.open_files = 1024;
  kb.compile_limits.file_size_bytes = int64_t{1} << 30;
  kb.run_limits = kb.compile_limits;
  kb.run_limits.nice = 0;
  kb.run_limits.wall_ms = static_cast<int64_t>(run_timeout_s * 1000);
  kb.device = "cuda:" + std::to_string(gpu_index);
  return kb;
}

std::shared_ptr<backend> make_cuda_kernels(cpu_backend_config config, const std::string& toolchain) {
  return std::make_shared<cpu_device>(std::move(config), toolchain);
}

gpu_device::gpu_device(std::string device, std::shared_ptr<backend> cuda,
                       std::shared_ptr<backend> kernelbench)
    : device_(std::move(device)), cuda_(std::move(cuda)), kernelbench_(std::move(kernelbench)) {
  content_hasher h;
  h.add("gpu-v1").add(device_);
  h.add(cuda_ ? cuda_->build_signature() : "-");
  h.add(kernelbench_ ? kernelbench_->build_signature() : "-");
  signature_ = h.finish();
}

backend* gpu_device::pick(const task_def& task) const {
  if (task.backend == "cuda")
    return cuda_.get();
  if (task.backend == "kernelbench")
    return kernelbench_.get();
  return nullptr;
}

gate_result gpu_device::hack_check(const task_def& task, const std::string& source) const {
  if (auto* b = pick(task))
    return b->hack_check(task, source);
  return gate_result{gate_hack, false,
                     "task " + task.id + " has backend '" + task.backend + "', which device " + device_ +
                         " does not run (it runs cuda and kernelbench tasks)"};
}

caf::expected<reference_build> gpu_device::build_reference(const task_def& task, const std::string& cached) {
  if (auto* b = pick(task))
    return b->build_reference(task, cached);
  return make_error(errc::bad_request, "task " + task.id + " has backend '" + task.backend +
                                           "', which device " + device_ +
                                           " does not run (it runs cuda and kernelbench tasks)");
}

caf::expected<reference_run> gpu_device::run_reference(const task_def& task, const reference_build& built) {
  if (auto* b = pick(task))
    return b->run_reference(task, built);
  return make_error(errc::bad_request, "task " + task.id + " has backend '" + task.backend +
                                           "', which device " + device_ +
                                           " does not run (it runs cuda and kernelbench tasks)");
}

caf::expected<build_result> gpu_device::compile(const task_def& task, const std::string& source,
                                                const std::string& cand_id) const {
  if (auto* b = pick(task))
    return b->compile(task, source, cand_id);
  return make_error(errc::bad_request,
                    "task " + task.id + ": backend '" + task.backend + "' not run by " + device_);
}

caf::expected<verdict> gpu_device::run(const task_def& task, const build_result& compiled) {
  if (auto* b = pick(task))
    return b->run(task, compiled);
  return make_error(errc::bad_request,
                    "task " + task.id + ": backend '" + task.backend + "' not run by " + device_);
}

void gpu_device::discard(const build_result& compiled) const {
  // Both kinds keep a candidate in its own directory; a KernelBench one holds candidate.py.
  const bool python =
      compiled.binary.size() >= 3 && compiled.binary.compare(compiled.binary.size() - 3, 3, ".py") == 0;
  auto* b = python ? kernelbench_.get() : cuda_.get();
  if (b == nullptr)
    b = python ? cuda_.get() : kernelbench_.get();
  if (b != nullptr)
    b->discard(compiled);
}

}  // namespace kforge::hardware
