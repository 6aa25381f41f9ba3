#include "hardware/cuda/cuda_discovery.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

namespace kforge::hardware {

namespace {

// The few driver API entry points discovery needs, declared here: no CUDA header at build time.
using cu_result = int;
using cu_device = int;
using fn_init = cu_result (*)(unsigned);
using fn_driver_version = cu_result (*)(int*);
using fn_count = cu_result (*)(int*);
using fn_get = cu_result (*)(cu_device*, int);
using fn_name = cu_result (*)(char*, int, cu_device);
using fn_attribute = cu_result (*)(int*, int, cu_device);
using fn_total_mem = cu_result (*)(std::size_t*, cu_device);
using fn_error_string = cu_result (*)(cu_result, const char**);

// CUdevice_attribute values (cuda.h).
constexpr int attr_clock_rate = 13;
constexpr int attr_sm_count = 16;
constexpr int attr_memory_clock = 36;
constexpr int attr_bus_width = 37;
constexpr int attr_l2_size = 38;
constexpr int attr_cc_major = 75;
constexpr int attr_cc_minor = 76;

bool executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0 && !std::filesystem::is_directory(path);
}

}  // namespace

cuda_environment discover_cuda(const std::string& library) {
  cuda_environment env;
  void* lib = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    env.problem = "no CUDA driver: " + std::string{why != nullptr ? why : library + ": cannot be loaded"};
    return env;
  }
  auto sym = [&](const char* name) { return ::dlsym(lib, name); };
  auto init = reinterpret_cast<fn_init>(sym("cuInit"));
  auto version = reinterpret_cast<fn_driver_version>(sym("cuDriverGetVersion"));
  auto count = reinterpret_cast<fn_count>(sym("cuDeviceGetCount"));
  auto get = reinterpret_cast<fn_get>(sym("cuDeviceGet"));
  auto name = reinterpret_cast<fn_name>(sym("cuDeviceGetName"));
  auto attribute = reinterpret_cast<fn_attribute>(sym("cuDeviceGetAttribute"));
  auto total = reinterpret_cast<fn_total_mem>(sym("cuDeviceTotalMem_v2"));
  auto error_string = reinterpret_cast<fn_error_string>(sym("cuGetErrorString"));
  if (init == nullptr || count == nullptr || get == nullptr || name == nullptr || attribute == nullptr) {
    env.problem = "no CUDA driver: " + library + " lacks the driver API entry points";
    return env;
  }
  if (auto rc = init(0); rc != 0) {
    const char* text = nullptr;
    if (error_string != nullptr)
      error_string(rc, &text);
    env.problem = "no CUDA device: cuInit failed with error " + std::to_string(rc) +
                  (text != nullptr ? std::string{" ("} + text + ")" : std::string{});
    return env;
  }
  env.driver = true;
  if (version != nullptr)
    version(&env.driver_version);
  int n = 0;
  if (count(&n) != 0 || n <= 0) {
    env.problem = "no CUDA device: the driver reports none";
    return env;
  }
  for (int i = 0; i < n; ++i) {
    cu_device dev = 0;
    if (get(&dev, i) != 0)
      continue;
    cuda_gpu g;
    g.index = i;
    std::array<char, 256> buf{};
    if (name(buf.data(), static_cast<int>(buf.size()), dev) == 0)
      g.name = buf.data();
    int value = 0;
    auto read = [&](int attr) { return attribute(&value, attr, dev) == 0 ? value : 0; };
    g.major = read(attr_cc_major);
    g.minor = read(attr_cc_minor);
    g.sm_count = read(attr_sm_count);
    g.l2_bytes = read(attr_l2_size);
    g.clock_khz = read(attr_clock_rate);
    g.memory_clock_khz = read(attr_memory_clock);
    g.bus_width_bits = read(attr_bus_width);
    std::size_t bytes = 0;
    if (total != nullptr && total(&bytes, dev) == 0)
      g.memory_bytes = static_cast<int64_t>(bytes);
    env.gpus.push_back(std::move(g));
  }
  if (env.gpus.empty())
    env.problem = "no CUDA device: none of the reported devices could be opened";
  return env;
}

std::string find_nvcc(const std::string& configured) {
  if (!configured.empty())
    return executable(configured) ? configured : std::string{};
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    const char* home = std::getenv(var);
    if (home != nullptr && *home != 0 && executable(std::string{home} + "/bin/nvcc"))
      return std::string{home} + "/bin/nvcc";
  }
  if (executable("/usr/local/cuda/bin/nvcc"))
    return "/usr/local/cuda/bin/nvcc";
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs{path};
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && executable(dir + "/nvcc"))
        return dir + "/nvcc";
    }
  }
  return {};
}

std::string find_ncu(const std::string& nvcc) {
  if (!nvcc.empty()) {
    auto beside = std::filesystem::path{nvcc}.parent_path() / "ncu";
    if (executable(beside.string()))
      return beside.string();
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs{path};
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && executable(dir + "/ncu"))
        return dir + "/ncu";
    }
  }
  return {};
}

std::string nvcc_version(const std::string& nvcc) {
  if (!executable(nvcc))
    return {};
  std::string cmd = "'" + nvcc + "' --version 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{::popen(cmd.c_str(), "r"), ::pclose};
  if (!pipe)
    return {};
  std::array<char, 512> line{};
  std::string last;
  while (std::fgets(line.data(), static_cast<int>(line.size()), pipe.get()) != nullptr) {
    std::string l{line.data()};
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
      l.pop_back();
    if (!l.empty())
      last = l;
  }
  return last;
}

std::string describe(const cuda_environment& env) {
  if (!env.usable())
    return env.problem;
  std::string out;
  for (const auto& g : env.gpus) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "cuda:%d %s, %s, %d SMs, %.1f GiB, L2 %.0f MiB, %.0f GB/s peak\n", g.index,
                  g.name.c_str(), g.arch().c_str(), g.sm_count,
                  static_cast<double>(g.memory_bytes) / (1 << 30),
                  static_cast<double>(g.l2_bytes) / (1 << 20), g.peak_gbps());
    out += buf;
  }
  return out;
}

}  // namespace kforge::hardware
