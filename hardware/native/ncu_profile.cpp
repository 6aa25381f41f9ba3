#include "hardware/native/ncu_profile.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace kforge::hardware {

namespace {

// Splits one CSV line with quoted fields.
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

double number_of(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ','), s.end());
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() ? -1 : v;
}

}  // namespace

kernel_profile parse_ncu_csv(const std::string& csv) {
  kernel_profile p;
  std::size_t name_col = std::string::npos;
  std::size_t value_col = std::string::npos;
  std::size_t kernel_col = std::string::npos;
  std::size_t id_col = std::string::npos;
  std::string first_id;
  std::size_t start = 0;
  while (start < csv.size()) {
    auto end = csv.find('\n', start);
    auto line = csv.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? csv.size() : end + 1;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty() || line.front() != '"')
      continue;  // ncu's own "==PROF==" lines and the program's output
    auto f = csv_fields(line);
    if (name_col == std::string::npos) {
      for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "Metric Name")
          name_col = i;
        if (f[i] == "Metric Value")
          value_col = i;
        if (f[i] == "Kernel Name")
          kernel_col = i;
        if (f[i] == "ID")
          id_col = i;
      }
      continue;
    }
    if (name_col >= f.size() || value_col >= f.size())
      continue;
    if (id_col < f.size()) {
      if (first_id.empty())
        first_id = f[id_col];
      else if (f[id_col] != first_id)
        continue;  // only the first profiled launch
    }
    if (kernel_col < f.size() && p.kernel.empty())
      p.kernel = f[kernel_col].substr(0, 80);
    const auto& name = f[name_col];
    double v = number_of(f[value_col]);
    if (name == "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed")
      p.memory_pct = v;
    else if (name == "sm__throughput.avg.pct_of_peak_sustained_elapsed")
      p.compute_pct = v;
    else if (name == "sm__warps_active.avg.pct_of_peak_sustained_active")
      p.occupancy_pct = v;
    else if (name == "gpu__time_duration.sum")
      p.kernel_ns = v;
  }
  if (p.memory_pct >= 0 || p.compute_pct >= 0 || p.occupancy_pct >= 0)
    p.source = "ncu";
  return p;
}

std::string describe_profile(const kernel_profile& p) {
  char buf[512];
  std::string out;
  if (p.source == "ncu") {
    std::snprintf(buf, sizeof buf,
                  "ncu: memory throughput %.1f %%, compute throughput %.1f %%, occupancy %.1f %%",
                  p.memory_pct, p.compute_pct, p.occupancy_pct);
    out = buf;
    if (!p.kernel.empty())
      out += " (" + p.kernel + ")";
  } else {
    out = "roofline from time";
    if (!p.note.empty())
      out += " (no ncu: " + p.note + ")";
  }
  std::snprintf(buf, sizeof buf, "; %.0f GB/s, %.0f GFLOP/s", p.achieved_gbps, p.achieved_gflops);
  out += buf;
  if (p.roofline_pct > 0) {
    std::snprintf(buf, sizeof buf, ", %.0f %% of the roofline", p.roofline_pct);
    out += buf;
  }
  return out;
}

}  // namespace kforge::hardware
