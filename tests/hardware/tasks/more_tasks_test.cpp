// The task families of configs/tasks/cpu/more (activation, log_softmax, rms_norm, pooling,
// loss, row_reduce, matmul_variant): every task file loads, its reference prepares on the CPU backend
// (compiled, run on two seeds, timed) and its template, rendered at the last value of every knob (the widest
// vectors and unrolls, which the odd shapes leave a remainder for), passes every gate.

#include "hardware/native/cpu_backend.hpp"
#include "hardware/tasks/task_file.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/task.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

using namespace kforge;
using namespace kforge::hardware;

namespace {

const std::filesystem::path more_dir = std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/tasks/cpu/more";

// The families this file checks, one test case each; a new family must be added here.
const std::set<std::string> checked_families = {"activation", "log_softmax", "rms_norm",      "pooling",
                                                "loss",       "row_reduce",  "matmul_variant"};

std::vector<task_def> more_tasks() {
  auto loaded = load_tasks(more_dir, {"*.toml"});
  if (!loaded)
    FAIL(describe(loaded.error()));
  return std::move(*loaded);
}

cpu_backend_config quick_config(const std::filesystem::path& work_dir) {
  cpu_backend_config config;
  config.work_dir = work_dir;
  config.seeds = 2;
  config.warmup = 1;
  config.min_runs = 3;
  config.max_runs = 5;
  config.target_ms = 5;
  config.flush_kib = 0;
  config.flag_speedup = 0;
  return config;
}

// The template at the last value of every knob.
std::vector<knob_setting> widest(const task_def& task) {
  std::vector<knob_setting> settings;
  for (const auto& k : task.knobs)
    settings.push_back({k.name, k.values.back()});
  return settings;
}

void check_family(const std::string& family) {
  test::temp_dir work{"more-tasks"};
  cpu_backend backend{quick_config(work.path())};
  int count = 0;
  for (const auto& task : more_tasks()) {
    if (task.family != family)
      continue;
    ++count;
    INFO("task " << task.id);
    auto reference = backend.prepare_task(task);
    if (!reference)
      FAIL(describe(reference.error()));
    CHECK(reference->outputs.size() == 2);
    CHECK(reference->timing.count >= 3);
    REQUIRE_FALSE(task.knobs.empty());
    auto v = backend.evaluate(task, render_template(task, widest(task)), "widest", *reference);
    if (!v)
      FAIL(describe(v.error()));
    INFO("failed gate " << v->failed_gate << ": "
                        << (v->gates.empty() ? std::string{} : v->gates.back().detail));
    CHECK(v->is_timed());
  }
  CHECK(count >= 2);
}

}  // namespace

TEST_CASE("every family of configs/tasks/cpu/more has its test case here", "[hardware][tasks]") {
  std::set<std::string> families;
  for (const auto& task : more_tasks())
    families.insert(task.family);
  CHECK(families == checked_families);
}

TEST_CASE("the activation tasks prepare and their widest template passes", "[hardware][tasks]") {
  check_family("activation");
}

TEST_CASE("the log_softmax tasks prepare and their widest template passes", "[hardware][tasks]") {
  check_family("log_softmax");
}

TEST_CASE("the rms_norm tasks prepare and their widest template passes", "[hardware][tasks]") {
  check_family("rms_norm");
}

TEST_CASE("the pooling tasks prepare and their widest template passes", "[hardware][tasks]") {
  check_family("pooling");
}

TEST_CASE("the loss tasks prepare and their widest template passes", "[hardware][tasks]") {
  check_family("loss");
}

TEST_CASE("the row_reduce tasks prepare and their widest template passes", "[hardware][tasks]") {
  check_family("row_reduce");
}

TEST_CASE("the matmul_variant tasks prepare and their widest template passes", "[hardware][tasks]") {
  check_family("matmul_variant");
}
