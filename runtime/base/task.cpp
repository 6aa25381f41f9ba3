#include "runtime/base/task.hpp"

namespace kforge {

int64_t tensor_spec::elements() const noexcept {
  int64_t n = 1;
  for (auto dim : shape)
    n *= dim;
  return n;
}

}  // namespace kforge
