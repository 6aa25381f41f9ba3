#include "runtime/campaign/backends.hpp"

#include "hardware/cuda/cuda_discovery.hpp"
#include "hardware/cuda/gpu_device.hpp"
#include "hardware/host/timing_core_lease.hpp"
#include "hardware/kernelbench/kernelbench.hpp"
#include "hardware/native/cpu_device.hpp"
#include "hardware/null/null_device.hpp"
#include "runtime/base/log.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include <unistd.h>
#include <cstdlib>

namespace kforge::runtime {

namespace {

// First line of `cxx --version`: part of the verdict-cache key, so a compiler
// upgrade re-verifies everything. Trusted: the compiler comes from the config.
std::string compiler_version(const std::string& cxx) {
  std::string cmd = "'" + cxx + "' --version 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{popen(cmd.c_str(), "r"), pclose};
  if (!pipe)
    return "unknown";
  std::array<char, 256> line{};
  if (std::fgets(line.data(), static_cast<int>(line.size()), pipe.get()) == nullptr)
    return "unknown";
  std::string out{line.data()};
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

// The core this process times `device`'s runs on: leased once per process and device (and
// core list), held until the process exits, so that two kforge processes on one host time on
// cores of their own while there are cores to give. -1: no pinning.
int timing_core_for(const verifier_settings& v) {
  if (!v.pin_timing)
    return -1;
  auto candidates = v.timing_cores.empty() ? hardware::default_timing_cores() : v.timing_cores;
  if (candidates.empty())
    return -1;
  static std::mutex mutex;
  static std::map<std::string, hardware::timing_core_lease> leases;
  std::string key = v.device;
  for (int c : candidates)
    key += "," + std::to_string(c);
  std::lock_guard<std::mutex> lock{mutex};
  auto it = leases.find(key);
  if (it == leases.end()) {
    it = leases.emplace(key, hardware::timing_core_lease::acquire(candidates)).first;
    const auto& lease = it->second;
    log::logger out{"kforge.verifier"};
    if (lease.shared())
      out.warning(
          "timing core shared with another kforge process: timings of both are noisier "
          "(give each its own with [verifier] timing_cores)",
          {{"core", std::to_string(lease.core())}, {"device", v.device}, {"why", lease.note()}});
    else
      out.info("timing runs on a core of their own",
               {{"core", std::to_string(lease.core())}, {"device", v.device}});
  }
  return it->second.core();
}

// A program name resolved on kforge's PATH (the sandbox's PATH is /usr/bin:/bin only).
std::string on_path(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return name;
  if (const char* path = std::getenv("PATH")) {
    std::string dirs{path};
    std::size_t start = 0;
    while (start <= dirs.size()) {
      auto end = dirs.find(':', start);
      auto dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0)
        return dir + "/" + name;
      if (end == std::string::npos)
        break;
      start = end + 1;
    }
  }
  return name;
}

// The backend of one GPU: CUDA kernels and KernelBench problems.
caf::expected<std::shared_ptr<hardware::backend>> make_gpu_backend(const campaign_config& cfg,
                                                                   const std::filesystem::path& work_dir,
                                                                   hardware::cpu_backend_config base,
                                                                   int index = -1) {
  const auto& v = cfg.verifier;
  if (index < 0)
    index = v.device == "cuda" ? 0 : std::atoi(v.device.c_str() + 5);
  auto env = hardware::discover_cuda();
  if (!env.usable())
    return make_error(errc::bad_config, cfg.file.string() + ": device " + v.device + ": " + env.problem);
  if (index < 0 || static_cast<std::size_t>(index) >= env.gpus.size()) {
    return make_error(errc::bad_config, cfg.file.string() + ": device " + v.device + ": only " +
                                            std::to_string(env.gpus.size()) + " GPU(s) found");
  }
  const auto& gpu = env.gpus[static_cast<std::size_t>(index)];
  auto nvcc = hardware::find_nvcc(cfg.cuda.nvcc);
  if (nvcc.empty()) {
    return make_error(errc::bad_config, cfg.file.string() + ": device " + v.device +
                                            ": no nvcc (set [cuda] nvcc, CUDA_HOME, or put nvcc on PATH)");
  }
  auto arch = cfg.cuda.arch.empty() ? gpu.arch() : cfg.cuda.arch;
  log::logger{"kforge.verifier"}.info("CUDA device", {{"device", "cuda:" + std::to_string(index)},
                                                      {"gpu", gpu.name},
                                                      {"arch", arch},
                                                      {"nvcc", nvcc},
                                                      {"driver", env.driver_version}});
  std::vector<std::string> passthrough;
  if (const char* ld = std::getenv("LD_LIBRARY_PATH"))
    passthrough.push_back(std::string{"LD_LIBRARY_PATH="} + ld);
  auto native = hardware::cuda_native_config(std::move(base), nvcc, cfg.cuda.nvcc_flags, arch, index);
  for (const auto& e : passthrough)
    native.extra_env.push_back(e);
  native.profile = cfg.cuda.profile;
  native.ncu = cfg.cuda.ncu.empty() ? hardware::find_ncu(nvcc) : cfg.cuda.ncu;
  native.peak_gbps = gpu.peak_gbps();
  native.peak_gflops = gpu.peak_fp32_gflops();
  auto cuda = hardware::make_cuda_kernels(std::move(native), hardware::nvcc_version(nvcc) + " " + gpu.name);

  const auto& k = cfg.kernelbench;
  auto kb = hardware::make_kernelbench_config(on_path(k.python), nvcc, index, arch, work_dir, passthrough,
                                              k.compile_timeout_s, k.run_timeout_s);
  kb.hidden_paths = {std::filesystem::absolute(cfg.store_path)};
  kb.trials = k.trials;
  kb.warmup = k.warmup;
  kb.runs = k.runs;
  kb.seed = k.seed;
  kb.flush_mib = k.flush_mib;
  kb.keep_on_gpu_mib = k.keep_on_gpu_mib;
  kb.ci_width = v.ci_width;
  kb.flag_speedup = v.flag_speedup;
  kb.reject_bypass = v.bypass == "reject";
  kb.max_rel_l2 = k.max_rel_l2;
  kb.min_spread_ratio = k.min_spread_ratio;
  kb.input_sets = k.input_sets;
  kb.overrides = k.overrides;
  auto kernelbench = std::make_shared<hardware::kernelbench_device>(std::move(kb));
  return std::shared_ptr<hardware::backend>{std::make_shared<hardware::gpu_device>(
      "cuda:" + std::to_string(index), std::move(cuda), std::move(kernelbench))};
}

}  // namespace

caf::expected<std::shared_ptr<hardware::backend>> make_backend(const campaign_config& cfg,
                                                               const std::filesystem::path& work_dir) {
  const auto& v = cfg.verifier;
  const bool gpu = v.device == "cuda" || v.device.rfind("cuda:", 0) == 0;
  if (auto sleep = hardware::null_sleep_ms(v.device))  // synthetic verdicts: benchmarks and tests
    return std::shared_ptr<hardware::backend>{
        std::make_shared<hardware::null_device>(std::chrono::milliseconds{*sleep})};
  if (v.device != "cpu" && !gpu)
    return make_error(errc::bad_config, cfg.file.string() + ": unknown device " + v.device);
  hardware::cpu_backend_config c;
  c.cxx = v.cxx;
  c.cxx_flags = v.cxx_flags;
  c.header_sets = v.precompiled_headers;
  if (v.linker != "default") {
    std::error_code ec;
    bool found = std::filesystem::exists("/usr/bin/ld." + v.linker, ec) ||
                 std::filesystem::exists("/bin/ld." + v.linker, ec);
    if (found)
      c.link_flags = {"-fuse-ld=" + v.linker};
    else
      log::logger{"kforge.verifier"}.warning("linker not found; kernels are linked by the default one",
                                             {{"linker", "ld." + v.linker}});
  }
  c.work_dir = work_dir;
  // Candidates and compilers never see the store (past candidates, verdicts, memory).
  c.hidden_paths = {std::filesystem::absolute(cfg.store_path)};
  c.compile_limits.wall_ms = static_cast<int64_t>(std::llround(v.compile_timeout_s * 1000));
  c.compile_limits.address_space_bytes = v.compile_memory_mib * 1024 * 1024;
  c.run_limits.wall_ms = static_cast<int64_t>(std::llround(v.run_timeout_s * 1000));
  c.run_limits.cpu_seconds = static_cast<int64_t>(std::ceil(v.run_timeout_s));
  c.run_limits.address_space_bytes = v.run_memory_mib * 1024 * 1024;
  c.seeds = v.seeds;
  c.warmup = v.warmup;
  c.min_runs = v.min_runs;
  c.max_runs = v.max_runs;
  c.target_ms = v.target_ms;
  c.flush_kib = v.cold_cache ? std::max<int64_t>(1, v.flush_kib) : 0;
  c.flag_speedup = v.flag_speedup;
  c.ci_width = v.ci_width;
  c.noise_threshold = v.noise_threshold;
  c.gate_preprocess = v.gate_preprocess;
  c.shared_objects = v.shared_objects;
  c.reference_memory_bytes = v.reference_memory_mib << 20;
  c.timing_cpu = timing_core_for(v);
  c.device = v.device;
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot create " + work_dir.string() + ": " + ec.message());
  if (gpu) {
    if (v.device == "cuda:all")  // several pools: make_backends
      return make_gpu_backend(cfg, work_dir, std::move(c), 0);
    return make_gpu_backend(cfg, work_dir, std::move(c));
  }
  return std::shared_ptr<hardware::backend>{
      std::make_shared<hardware::cpu_device>(std::move(c), compiler_version(v.cxx))};
}

caf::expected<std::vector<std::shared_ptr<hardware::backend>>> make_backends(
    const campaign_config& cfg, const std::filesystem::path& work_dir) {
  std::vector<std::shared_ptr<hardware::backend>> out;
  if (cfg.verifier.device != "cuda:all") {
    auto one = make_backend(cfg, work_dir);
    if (!one)
      return std::move(one.error());
    out.push_back(std::move(*one));
    return out;
  }
  auto env = hardware::discover_cuda();
  if (!env.usable())
    return make_error(errc::bad_config, cfg.file.string() + ": device cuda:all: " + env.problem);
  for (const auto& gpu : env.gpus) {
    auto c = campaign_config{cfg};
    c.verifier.device = "cuda:" + std::to_string(gpu.index);
    auto one = make_backend(c, work_dir / ("cuda" + std::to_string(gpu.index)));
    if (!one)
      return std::move(one.error());
    out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace kforge::runtime
