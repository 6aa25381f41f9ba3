#include "runtime/base/task.hpp"

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

}  // namespace kforge
