#include "hardware/tasks/task_memory.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

namespace kforge::hardware {

namespace {

std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out))
    return std::nullopt;
  return out;
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out))
    return std::nullopt;
  return out;
}

}  // namespace

std::optional<int64_t> checked_elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto dim : shape)
    if (dim < 0 || __builtin_mul_overflow(n, dim, &n))
      return std::nullopt;
  return n;
}

std::optional<uint64_t> tensor_set_bytes(const std::vector<tensor_spec>& tensors) {
  uint64_t total = 0;
  for (const auto& t : tensors) {
    auto n = checked_elements(t.shape);
    if (!n)
      return std::nullopt;
    auto bytes = checked_mul(static_cast<uint64_t>(*n), sizeof(float));
    auto sum = bytes ? checked_add(total, *bytes) : std::nullopt;
    if (!sum)
      return std::nullopt;
    total = *sum;
  }
  return total;
}

std::optional<uint64_t> parse_mem_available(const std::string& meminfo) {
  std::istringstream in{meminfo};
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long kib = 0;
    char unit[8] = {};
    if (std::sscanf(line.c_str(), "MemAvailable: %llu %7s", &kib, unit) == 2 && std::string{unit} == "kB")
      return checked_mul(kib, 1024);
  }
  return std::nullopt;
}

namespace {

std::optional<uint64_t> read_mem_available() {
  std::ifstream in{"/proc/meminfo"};
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_mem_available(text.str());
}

}  // namespace

// Loading 600 task files asks 600 times within a fraction of a second: one reading of
// /proc/meminfo serves every call in the next 100 ms (thread-safe: the loader is parallel).
std::optional<uint64_t> available_memory_bytes() {
  using clock = std::chrono::steady_clock;
  static std::mutex m;
  static clock::time_point read_at;
  static std::optional<uint64_t> last;
  std::lock_guard<std::mutex> lock{m};
  auto now = clock::now();
  if (read_at == clock::time_point{} || now - read_at > std::chrono::milliseconds{100}) {
    last = read_mem_available();
    read_at = now;
  }
  return last;
}

std::optional<uint64_t> reference_memory_bytes(const std::map<std::string, task_def>& tasks, int64_t seeds) {
  if (seeds < 0)
    return std::nullopt;
  uint64_t kept = 0;
  uint64_t largest_run = 0;
  for (const auto& [id, task] : tasks) {
    if (task.backend == "kernelbench")
      continue;
    auto in = tensor_set_bytes(task.inputs);
    auto out = tensor_set_bytes(task.outputs);
    if (!in || !out)
      return std::nullopt;
    auto set = checked_add(*in, *out);
    auto task_kept = set ? checked_mul(*set, static_cast<uint64_t>(seeds)) : std::nullopt;
    auto total = task_kept ? checked_add(kept, *task_kept) : std::nullopt;
    auto in3 = checked_mul(*in, 3);
    auto out4 = checked_mul(*out, 4);
    auto run_set = in3 && out4 ? checked_add(*in3, *out4) : std::nullopt;
    auto run = run_set ? checked_mul(*run_set, static_cast<uint64_t>(seeds)) : std::nullopt;
    if (!total || !run)
      return std::nullopt;
    kept = *total;
    largest_run = std::max(largest_run, *run);
  }
  return checked_add(kept, largest_run);
}

std::string describe_bytes(uint64_t bytes) {
  char buf[64];
  constexpr double kib = 1024.0;
  auto x = static_cast<double>(bytes);
  if (x >= kib * kib * kib)
    std::snprintf(buf, sizeof buf, "%.1f GiB", x / (kib * kib * kib));
  else if (x >= kib * kib)
    std::snprintf(buf, sizeof buf, "%.0f MiB", x / (kib * kib));
  else if (x >= kib)
    std::snprintf(buf, sizeof buf, "%.0f KiB", x / kib);
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  return buf;
}

}  // namespace kforge::hardware
