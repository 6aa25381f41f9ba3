#include "tests/support/fake_backend.hpp"

#include <utility>

namespace kforge::test {

fake_backend::fake_backend(std::string device) : device_(std::move(device)) {}

std::string fake_backend::device() const {
  return device_;
}

std::string fake_backend::build_signature() const {
  return "fake/" + device_;
}

kforge::gate_result fake_backend::hack_check(const kforge::task_def&, const std::string& source) const {
  if (source.find("HACK") != std::string::npos)
    return {kforge::gate_hack, false, "scripted hack"};
  return {kforge::gate_hack, true, ""};
}

caf::expected<kforge::timing_stats> fake_backend::prepare(const kforge::task_def& task) {
  note("prepare " + task.id);
  if (on_prepare)
    return on_prepare(task);
  kforge::timing_stats t;
  t.median_ns = 1000;
  t.min_ns = 1000;
  t.mean_ns = 1000;
  t.count = 10;
  return t;
}

caf::expected<hardware::build_result> fake_backend::compile(const kforge::task_def& task,
                                                            const std::string& source,
                                                            const std::string& cand_id) const {
  note("compile " + task.id + " " + cand_id);
  if (on_compile)
    return on_compile(task, source, cand_id);
  hardware::build_result b;
  b.ok = true;
  b.binary = "bin/" + cand_id;
  b.dir = "dir/" + cand_id;
  b.wall_ms = 1;
  return b;
}

caf::expected<kforge::verdict> fake_backend::run(const kforge::task_def& task,
                                                 const hardware::build_result& compiled) {
  note("run " + task.id + " " + compiled.binary);
  if (on_run)
    return on_run(task, compiled);
  kforge::verdict v;
  v.feasible = true;
  v.gates = {{kforge::gate_hack, true, ""}, {kforge::gate_compile, true, ""}};
  v.timing.median_ns = 500;
  v.timing.min_ns = 500;
  v.timing.mean_ns = 500;
  v.timing.count = 10;
  v.run_ms = 1;
  v.device = device_;
  return v;
}

void fake_backend::discard(const hardware::build_result& compiled) const {
  note("discard " + compiled.binary);
}

std::vector<std::string> fake_backend::calls() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return calls_;
}

size_t fake_backend::count(const std::string& prefix) const {
  std::lock_guard<std::mutex> lock{mutex_};
  size_t n = 0;
  for (const auto& c : calls_)
    if (c.compare(0, prefix.size(), prefix) == 0)
      ++n;
  return n;
}

void fake_backend::note(std::string call) const {
  std::lock_guard<std::mutex> lock{mutex_};
  calls_.push_back(std::move(call));
}

}  // namespace kforge::test
