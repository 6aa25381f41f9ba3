#include "runtime/backends.hpp"

#include "hardware/cpu_device.hpp"
#include "runtime/log.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

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

}  // namespace

caf::expected<std::shared_ptr<hardware::backend>> make_backend(const campaign_config& cfg,
                                                               const std::filesystem::path& work_dir) {
  const auto& v = cfg.verifier;
  if (v.device != "cpu")
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
  auto cores = static_cast<int>(std::thread::hardware_concurrency());
  c.timing_cpu = v.pin_timing && cores >= 2 ? cores - 1 : -1;
  c.device = v.device;
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot create " + work_dir.string() + ": " + ec.message());
  return std::shared_ptr<hardware::backend>{
      std::make_shared<hardware::cpu_device>(std::move(c), compiler_version(v.cxx))};
}

}  // namespace kforge::runtime
