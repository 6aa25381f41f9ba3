#pragma once

// Whether Linux hardware performance counters can be read by this process
// (perf_event_open on cycles, user space only). The performance state says
// which source it used: "roofline" alone, or "roofline+perf".

#include <string>

namespace kforge::hardware {

/// Result of probing the performance counters.
struct perf_availability {
  bool readable = false;
  std::string reason;  ///< why not (paranoid level, errno of the test open), or "ok"
};

/// Reads /proc/sys/kernel/perf_event_paranoid and tries to open (then closes) a
/// user-space cycles counter on the calling thread. Never fails; never throws.
[[nodiscard]] perf_availability probe_perf_counters();

}  // namespace kforge::hardware
