#include "runtime/base/task.hpp"
#include "runtime/base/rng.hpp"

#include <algorithm>
#include <cstdint>

namespace kforge {

int64_t tensor_spec::elements() const noexcept {
  // Saturates at INT64_MAX instead of overflowing: task files refuse such shapes at load
  // (hardware/tasks/task_memory), but a shape from elsewhere must not make this undefined.
  int64_t n = 1;
  for (auto dim : shape)
    if (__builtin_mul_overflow(n, dim, &n))
      return INT64_MAX;
  return n;
}

uint64_t settings_fingerprint(const std::vector<knob_setting>& settings) noexcept {
  // FNV-1a over each name's bytes (a multiply a byte), one full mix a setting: a policy's draw
  // takes a fingerprint per attempt, and a full mix a byte of the names was a seventh of the
  // offline policy's time. The name's length goes in too, so that names do not run together.
  uint64_t h = mix64(settings.size());
  for (const auto& s : settings) {
    uint64_t n = 0xcbf29ce484222325ULL ^ s.name.size();
    for (char c : s.name)
      n = (n ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    h = mix64(h ^ n);
    h = mix64(h ^ static_cast<uint64_t>(s.value));
  }
  return h;
}

void add_tried(std::vector<uint64_t>& tried, uint64_t fingerprint) {
  auto it = std::lower_bound(tried.begin(), tried.end(), fingerprint);
  if (it == tried.end() || *it != fingerprint)
    tried.insert(it, fingerprint);
}

bool was_tried(const std::vector<uint64_t>& tried, uint64_t fingerprint) noexcept {
  return std::binary_search(tried.begin(), tried.end(), fingerprint);
}

}  // namespace kforge
