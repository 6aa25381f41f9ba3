#pragma once

// Wall-clock time for what is recorded (created_ms, updated_ms, a campaign's last commit),
// never for what is decided on: decisions run on the actor clock, which tests drive.

#include <chrono>
#include <cstdint>

namespace kforge {

/// Milliseconds since the Unix epoch, now.
[[nodiscard]] inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kforge
