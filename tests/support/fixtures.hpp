#pragma once

// Small builders shared by tests: verdicts, tasks and records.

#include "memory/records.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <string>
#include <vector>

namespace kforge::test {

/// A feasible verdict timed at `median_ns`.
inline kforge::verdict timed_verdict(double median_ns) {
  kforge::verdict v;
  v.feasible = true;
  v.gates = {{"hack", true, ""}, {"compile", true, ""}, {"correctness", true, ""}, {"latency", true, ""}};
  v.timing.median_ns = median_ns;
  v.timing.min_ns = median_ns;
  v.timing.mean_ns = median_ns;
  v.timing.count = 10;
  v.device = "cpu";
  return v;
}

/// A verdict that failed at `gate`.
inline kforge::verdict failed(const std::string& gate) {
  kforge::verdict v;
  v.failed_gate = gate;
  v.gates = {{gate, false, "failed on purpose"}};
  v.device = "cpu";
  return v;
}

/// A task with two knobs, VEC {1, 4, 8} and UNROLL {1, 2}, whose template renders the knobs.
inline kforge::task_def knob_task(const std::string& id = "t1", const std::string& family = "fam") {
  kforge::task_def t;
  t.id = id;
  t.family = family;
  t.backend = "cpu";
  t.signature = "void k(const float* x, float* y, int n)";
  t.call = "k(x, y, 16)";
  t.flops = 16;
  t.bytes = 128;
  t.inputs = {{"x", {16}, "uniform", -1, 1}};
  t.outputs = {{"y", {16}, "uniform", -1, 1}};
  t.knobs = {{"VEC", {1, 4, 8}}, {"UNROLL", {1, 2}}};
  t.template_source =
      "void k(const float* x, float* y, int n) { for (int i = 0; i < n; ++i) y[i] = x[i]; }\n";
  t.definition_hash = "def-" + id;
  t.reference_hash = "ref-" + id;
  return t;
}

/// The ids of `items`, in their order.
inline std::vector<std::string> item_ids(const std::vector<memory::memory_item>& items) {
  std::vector<std::string> out;
  for (const auto& i : items)
    out.push_back(i.id);
  return out;
}

}  // namespace kforge::test
