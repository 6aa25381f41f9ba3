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
  uint64_t h = mix64(settings.size());
  for (const auto& s : settings) {
    h = mix64(h, s.name);
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
