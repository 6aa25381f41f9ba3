#include "hardware/null/null_device.hpp"

#include "runtime/base/rng.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace kforge::hardware {

namespace {

timing_stats timed(double median_ns) {
  timing_stats t;
  t.median_ns = t.mean_ns = median_ns;
  t.min_ns = median_ns * 0.98;
  t.stddev_ns = median_ns * 0.01;
  t.count = 10;
  t.ci_half_ns = median_ns * 0.005;
  t.converged = true;
  return t;
}

// A number in [0, 1) from the first 13 hex digits of the object hash (compile).
double unit_of(const std::string& hex) {
  uint64_t v = 0;
  for (size_t i = 0; i < 13 && i < hex.size(); ++i) {
    char c = hex[i];
    v = v * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return static_cast<double>(v) / static_cast<double>(uint64_t{1} << 52U);
}

}  // namespace

std::optional<int64_t> null_sleep_ms(const std::string& spec) {
  if (spec == "null")
    return 0;
  const std::string prefix = "null:sleep=";
  if (spec.rfind(prefix, 0) != 0 || spec.size() == prefix.size() || spec.size() > prefix.size() + 6)
    return std::nullopt;
  int64_t ms = 0;
  for (auto i = prefix.size(); i < spec.size(); ++i) {
    if (spec[i] < '0' || spec[i] > '9')
      return std::nullopt;
    ms = ms * 10 + (spec[i] - '0');
  }
  return ms;
}

gate_result null_device::hack_check(const task_def& /*task*/, const std::string& /*source*/) const {
  return gate_result{gate_hack, true, "null device: not checked"};
}

timing_stats null_device::reference_timing(const task_def& task) {
  return timed(std::max(1e3, 1e5 * (task.flops + task.bytes) / 1e6));
}

caf::expected<reference_build> null_device::build_reference(const task_def& task,
                                                            const std::string& /*cached*/) {
  // Nothing to build or run: the reference's timing is a function of the task.
  reference_build out;
  out.restored = true;
  out.timing = reference_timing(task);
  return out;
}

caf::expected<reference_run> null_device::run_reference(const task_def& task,
                                                        const reference_build& /*built*/) {
  return reference_run{reference_timing(task), {}};
}

caf::expected<build_result> null_device::compile(const task_def& task, const std::string& source,
                                                 const std::string& /*cand_id*/) const {
  build_result out;
  out.ok = true;
  // Not SHA-256: a synthetic figure needs a well-spread number, not identity, and the orchestration
  // this device measures already hashes every source once (candidate_hash).
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(fold64(mix64(0x6e756c6cULL, task.id), source)));
  out.object_hash = hex;
  return out;
}

caf::expected<verdict> null_device::run(const task_def& task, const build_result& compiled) {
  if (sleep_.count() >
      0)  // the fixed cost of a device run (on the pool's run worker, never a scheduler thread)
    std::this_thread::sleep_for(sleep_);
  verdict v;
  v.device = "null";
  v.gates = {{gate_hack, true, ""}, {gate_compile, true, ""}};
  double u = unit_of(compiled.object_hash);
  auto ref = reference_timing(task);
  v.reference_ns = ref.median_ns;
  if (u < 0.1) {
    v.gates.push_back({gate_correctness, false, "null device: synthetic mismatch"});
    v.failed_gate = gate_correctness;
    v.max_abs_error = 1.0;
    return v;
  }
  v.feasible = true;
  v.gates.push_back({gate_correctness, true, ""});
  v.gates.push_back({gate_latency, true, ""});
  v.timing = timed(ref.median_ns * (0.5 + 1.5 * (u - 0.1) / 0.9));
  return v;
}

void null_device::discard(const build_result& /*compiled*/) const {}

}  // namespace kforge::hardware
