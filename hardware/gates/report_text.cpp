#include "hardware/gates/report_text.hpp"

#include <cstdio>

namespace kforge::hardware {

std::string micros(double ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f us", ns / 1000.0);
  return buf;
}

std::string percent(double fraction) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f %%", fraction * 100.0);
  return buf;
}

std::string times(double ratio, bool one_decimal) {
  char buf[48];
  if (one_decimal)
    std::snprintf(buf, sizeof buf, "%.1fx", ratio);
  else
    std::snprintf(buf, sizeof buf, "%gx", ratio);
  return buf;
}

}  // namespace kforge::hardware
