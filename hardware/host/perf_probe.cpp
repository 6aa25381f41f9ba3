#include "hardware/host/perf_probe.hpp"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace kforge::hardware {

perf_availability probe_perf_counters() {
  perf_availability out;
  std::string paranoid = "?";
  {
    std::ifstream in{"/proc/sys/kernel/perf_event_paranoid"};
    if (!(in >> paranoid)) {
      out.reason = "cannot read /proc/sys/kernel/perf_event_paranoid";
      return out;
    }
  }
  perf_event_attr attr{};
  attr.type = PERF_TYPE_HARDWARE;
  attr.size = sizeof(attr);
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd < 0) {
    int err = errno;
    out.reason = "perf_event_paranoid=" + paranoid + ", hardware cycles counter: " + std::strerror(err) +
                 (err == ENOENT ? " (no PMU exposed, e.g. a VM)" : "");
    return out;
  }
  close(static_cast<int>(fd));
  out.readable = true;
  out.reason = "ok (perf_event_paranoid=" + paranoid + ")";
  return out;
}

}  // namespace kforge::hardware
