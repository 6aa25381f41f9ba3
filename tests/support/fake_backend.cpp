#include "tests/support/fake_backend.hpp"

#include <sstream>
#include <utility>

namespace kforge::test {

fake_backend::fake_backend(std::string device) : device_(std::move(device)) {}

std::string fake_backend::device() const {
  return device_;
}

std::string fake_backend::build_signature() const {
  return "fake/" + device_;
}

kforge::gate_result fake_backend::hack_check(const kforge::task_def& task, const std::string& source) const {
  note("hack " + task.id);
  if (source.find("HACK") != std::string::npos)
    return {kforge::gate_hack, false, "scripted hack"};
  return {kforge::gate_hack, true, ""};
}

caf::expected<hardware::reference_build> fake_backend::build_reference(const kforge::task_def& task,
                                                                       const std::string& cached) {
  note((cached.empty() ? "build " : "restore ") + task.id);
  if (on_build)
    return on_build(task, cached);
  hardware::reference_build b;
  // A cache entry of this fake: "fake-ref <task> <reference hash> <median_ns>".
  std::istringstream in{cached};
  std::string tag;
  std::string id;
  std::string definition;
  double median = 0;
  if (!cached.empty()) {
    if (in >> tag >> id >> definition >> median && tag == "fake-ref" && id == task.id &&
        definition == task.reference_hash) {
      b.restored = true;
      b.timing.median_ns = median;
      b.timing.min_ns = median;
      b.timing.mean_ns = median;
      b.timing.count = 10;
      return b;
    }
    b.note = "not this task's entry: " + cached;
  }
  b.program.ok = true;
  b.program.binary = "bin/reference-" + task.id;
  return b;
}

caf::expected<hardware::reference_run> fake_backend::run_reference(const kforge::task_def& task,
                                                                   const hardware::reference_build&) {
  note("prepare " + task.id);
  kforge::timing_stats t;
  if (on_prepare) {
    auto scripted = on_prepare(task);
    if (!scripted)
      return std::move(scripted.error());
    t = *scripted;
  } else {
    t.median_ns = 1000;
    t.min_ns = 1000;
    t.mean_ns = 1000;
    t.count = 10;
  }
  hardware::reference_run r;
  r.timing = t;
  r.cache = "fake-ref " + task.id + " " + task.reference_hash + " " + std::to_string(t.median_ns);
  return r;
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
