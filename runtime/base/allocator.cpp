#include "runtime/base/allocator.hpp"

#include <cstddef>
#include <cstdlib>

// tcmalloc's C interface (gperftools/malloc_extension_c.h), weak: only the kforge executable
// links tcmalloc, and there these resolve; elsewhere they are null.
extern "C" {
int MallocExtension_SetNumericProperty(const char* property, std::size_t value) __attribute__((weak));
void MallocExtension_ReleaseFreeMemory() __attribute__((weak));
}

namespace kforge {

void allocator_campaign_running() noexcept {
  if (MallocExtension_SetNumericProperty == nullptr || std::getenv("TCMALLOC_AGGRESSIVE_DECOMMIT") != nullptr)
    return;
  if (MallocExtension_ReleaseFreeMemory != nullptr)
    MallocExtension_ReleaseFreeMemory();
  MallocExtension_SetNumericProperty("tcmalloc.aggressive_memory_decommit", 0);
}

}  // namespace kforge
