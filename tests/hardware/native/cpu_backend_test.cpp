#include "hardware/native/cpu_backend.hpp"
#include "hardware/tasks/task_loader.hpp"

#include "tests/support/prepared_task.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sched.h>

#include <filesystem>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

cpu_backend_config small_config(const std::filesystem::path& work_dir) {
  cpu_backend_config config;
  config.work_dir = work_dir;
  config.min_runs = 10;
  config.max_runs = 40;
  config.target_ms = 5;
  config.flush_kib = 256;
  config.run_limits.wall_ms = 10'000;
  return config;
}

const test::prepared_task& fixture() {
  static const test::prepared_task instance{"cpu-backend", small_config};
  return instance;
}

verdict evaluate(const std::string& source, const cpu_backend& backend = fixture().backend) {
  const auto& f = fixture();
  auto v = backend.evaluate(f.task, source, "test", f.reference);
  if (!v)
    FAIL(describe(v.error()));
  return *v;
}

std::string kernel(const std::string& body, const std::string& prefix = "") {
  return prefix + "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n" + body +
         "\n}\n";
}

const gate_result& gate(const verdict& v, const std::string& name) {
  for (const auto& g : v.gates)
    if (g.gate == name)
      return g;
  FAIL("no gate " + name);
  return v.gates.front();
}

}  // namespace

TEST_CASE("Preparing a task gives reference outputs per seed and the reference's timing", "[hardware]") {
  const auto& f = fixture();
  REQUIRE(f.reference.inputs.size() == 8);
  REQUIRE(f.reference.outputs.size() == 8);
  CHECK(f.reference.outputs[0][0].size() == 1000);
  CHECK(f.reference.outputs[0][0][7] == f.reference.inputs[0][0][7] + f.reference.inputs[0][1][7]);
  CHECK(f.reference.inputs[0][0] != f.reference.inputs[1][0]);
  CHECK(f.reference.inputs[0] == generate_inputs(f.task, 1));
  CHECK(f.reference.timing.count >= 10);
  CHECK(std::filesystem::exists(f.reference.harness_object));
  // Uniform inputs stay in [lo, hi).
  for (float x : f.reference.inputs[1][1])
    REQUIRE((x >= 0.0f && x <= 2.0f));
}

TEST_CASE("A correct kernel passes every gate and is timed", "[hardware]") {
  auto v =
      evaluate(kernel("  for (int i = 0; i < rows * cols; ++i) c[i] = b[i] + a[i];", "#include <cmath>\n"));
  INFO(v.failed_gate);
  CHECK(v.feasible);
  CHECK(v.failed_gate.empty());
  REQUIRE(v.gates.size() == 4);
  CHECK(v.gates[3].gate == gate_latency);
  CHECK(v.gates[3].passed);
  CHECK(v.is_timed());
  CHECK(v.timing.count >= fixture().backend.config().min_runs);
  CHECK(v.timing.count <= fixture().backend.config().max_runs);
  CHECK(v.timing.min_ns <= v.timing.median_ns);
  CHECK(v.timing.median_ns > 0);
  CHECK(v.max_abs_error == 0);
  CHECK(v.compile_ms > 0);
  CHECK(v.run_ms > 0);
  CHECK(v.device == "cpu");
  // As fast as the reference: not flagged; re-measured only if the first CI did not converge.
  CHECK_FALSE(v.flagged);
  CHECK(v.reference_ns == fixture().reference.timing.median_ns);
  CHECK(v.timing.ci_half_ns >= 0);
  CHECK((v.timing.converged || v.timing.noisy));
  if (!v.is_remeasured())
    CHECK(v.timing.converged);
  CHECK_THAT(v.gates[3].detail, Catch::Contains("95 % CI of the median +-"));
}

TEST_CASE("A candidate far faster than the reference is re-measured and flagged for review", "[hardware]") {
  auto config = small_config(fixture().work.path());
  config.flag_speedup = 0.001;  // every candidate is then "implausibly" fast
  cpu_backend flagging{config};
  auto v = evaluate(fixture().task.reference_source, flagging);
  CHECK(v.feasible);
  CHECK(v.is_timed());
  CHECK(v.flagged);
  REQUIRE(v.is_remeasured());
  CHECK(v.first_timing.count >= config.min_runs);
  CHECK(v.timing.count >= config.min_runs);
  CHECK(v.reference_ns == fixture().reference.timing.median_ns);
  CHECK(v.timings_disagree == timings_disagree(v.first_timing, v.timing, config.noise_threshold));
  CHECK_THAT(v.gates[3].detail, Catch::Contains("; re-measured (first: median ") &&
                                    Catch::Contains("FLAGGED for review: ") &&
                                    Catch::Contains("faster than the reference"));
}

TEST_CASE("A measurement whose confidence interval stays wide is re-measured once and marked noisy",
          "[hardware]") {
  auto config = small_config(fixture().work.path());
  config.ci_width = 0;  // no interval is narrower than zero
  cpu_backend strict{config};
  auto v = evaluate(fixture().task.reference_source, strict);
  CHECK(v.feasible);
  CHECK(v.is_timed());
  REQUIRE(v.is_remeasured());
  CHECK_FALSE(v.first_timing.converged);
  CHECK_FALSE(v.timing.converged);
  CHECK(v.timing.noisy);
  CHECK_FALSE(v.flagged);
  CHECK_THAT(v.gates[3].detail, Catch::Contains("; noisy: the CI stayed wider than +-0.0 %"));
}

TEST_CASE("The run stage pins the harness to timing_cpu", "[hardware]") {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  int cpu = -1;
  for (std::size_t i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &allowed))
      cpu = static_cast<int>(i);
  REQUIRE(cpu >= 0);
  auto config = small_config(fixture().work.path());
  config.timing_cpu = cpu;
  cpu_backend pinned{config};
  CHECK(pinned.config().run_limits.cpu_affinity == cpu);
  auto v = evaluate(fixture().task.reference_source, pinned);
  CHECK(v.is_timed());
  CHECK_THAT(v.gates[3].detail, Catch::Contains(" runs on cpu " + std::to_string(cpu)));
}

TEST_CASE("The rendered template of the test task passes with good knobs and fails with bad ones",
          "[hardware]") {
  const auto& f = fixture();
  auto good = evaluate(render_template(f.task, {{"STEP", 1}, {"UNROLL", 4}}));
  CHECK(good.feasible);
  auto bad = evaluate(render_template(f.task, {{"STEP", 3}, {"UNROLL", 1}}));
  CHECK(bad.failed_gate == gate_correctness);
  CHECK_THAT(gate(bad, gate_correctness).detail, Catch::Contains("NaN"));
}

TEST_CASE("A kernel that does not compile fails at compile with the compiler's message", "[hardware]") {
  auto v = evaluate(kernel("  undefined_helper(c);"));
  CHECK(v.failed_gate == gate_compile);
  CHECK_FALSE(v.feasible);
  CHECK(gate(v, gate_hack).passed);
  CHECK_THAT(gate(v, gate_compile).detail,
             Catch::Contains("kernel.cpp:2:") && Catch::Contains("undefined_helper"));
  SECTION("a kernel with the wrong signature fails at link time") {
    auto w = evaluate("void add_rows(float* a) { a[0] = 0; }\n");
    CHECK(w.failed_gate == gate_compile);
    CHECK_THAT(gate(w, gate_compile).detail, Catch::Contains("undefined reference"));
  }
}

TEST_CASE("A wrong result fails at correctness with the first mismatch", "[hardware]") {
  auto v = evaluate(kernel("  for (int i = 0; i < rows * cols; ++i) c[i] = i == 263 ? 0.5f : a[i] + b[i];"));
  CHECK(v.failed_gate == gate_correctness);
  CHECK_FALSE(v.feasible);
  const auto& detail = gate(v, gate_correctness).detail;
  CHECK_THAT(detail,
             Catch::StartsWith("seed 1, output c: 1 of 1000 elements differ (atol 1e-06, rtol 1e-06); "
                               "first at [1, 13]: got 0.5, expected "));
  CHECK_THAT(detail, Catch::Contains("seed 2, output c") && Catch::Contains("after timing (seed 1)") &&
                         Catch::Contains("seed 8, output c"));
  CHECK(v.max_abs_error > 0);
}

TEST_CASE("A kernel that changes its result after the first calls fails the check after timing",
          "[hardware]") {
  auto v =
      evaluate(kernel("  static int calls = 0;\n  ++calls;\n"
                      "  for (int i = 0; i < rows * cols; ++i) c[i] = calls > 8 ? 0.0f : a[i] + b[i];"));
  CHECK(v.failed_gate == gate_correctness);
  // Eight correctness calls (one per seed), then every timed call of every set is wrong.
  CHECK_THAT(gate(v, gate_correctness).detail, Catch::StartsWith("after timing (seed 1), output c: ") &&
                                                   Catch::Contains("after timing (seed 8), output c: "));
}

TEST_CASE("A kernel that writes NaN fails at correctness", "[hardware]") {
  auto v =
      evaluate(kernel("  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];\n"
                      "  c[5] = std::numeric_limits<float>::quiet_NaN();",
                      "#include <limits>\n"));
  CHECK(v.failed_gate == gate_correctness);
  CHECK_THAT(gate(v, gate_correctness).detail, Catch::Contains("1 of 1000 elements differ") &&
                                                   Catch::Contains("1 of them NaN or Inf") &&
                                                   Catch::Contains("first at [0, 5]: got nan"));
}

TEST_CASE("A kernel that crashes fails at correctness with the signal", "[hardware]") {
  auto v = evaluate(kernel("  float* far = c + (static_cast<long>(rows) << 40);\n  *far = a[0] + b[0];"));
  CHECK(v.failed_gate == gate_correctness);
  CHECK_THAT(gate(v, gate_correctness).detail,
             Catch::StartsWith("killed by signal SIGSEGV (Segmentation fault)"));
}

TEST_CASE("A kernel that allocates past the address-space limit fails at correctness", "[hardware]") {
  // The volatile pointer keeps the compiler from eliding the allocation.
  auto v =
      evaluate(kernel("  static float* volatile keep = nullptr;\n"
                      "  keep = new float[static_cast<unsigned long>(rows) << 32];\n"
                      "  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];"));
  CHECK(v.failed_gate == gate_correctness);
  CHECK_THAT(gate(v, gate_correctness).detail,
             Catch::StartsWith("killed by signal SIGABRT (Aborted)") && Catch::Contains("bad_alloc"));
}

TEST_CASE("A kernel that never returns is killed at the wall-clock limit", "[hardware]") {
  auto config = small_config(fixture().work.path());
  config.run_limits.wall_ms = 1000;
  config.run_limits.grace_ms = 50;
  cpu_backend short_backend{config};
  auto v =
      evaluate(kernel("  volatile int spin = 1;\n  while (spin) {}\n  c[0] = a[0] + b[0];"), short_backend);
  CHECK(v.failed_gate == gate_correctness);
  CHECK(gate(v, gate_correctness).detail == "timed out after 1 s");
  CHECK(v.run_ms < 5000);
}

TEST_CASE("A kernel with a forbidden call fails at the hack gate before compiling", "[hardware]") {
  auto v =
      evaluate(kernel("  system(\"true\");\n  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];"));
  CHECK(v.failed_gate == gate_hack);
  REQUIRE(v.gates.size() == 1);
  CHECK(v.gates[0].detail == "line 2: 'system' is not allowed (process control)");
  CHECK(v.compile_ms == 0);
}

TEST_CASE("Long gate details are cut to the detail cap", "[hardware]") {
  auto config = small_config(fixture().work.path());
  config.detail_cap = 200;
  cpu_backend capped{config};
  std::string body;
  for (int i = 0; i < 50; ++i)
    body += "  undefined_" + std::to_string(i) + "();\n";
  auto v = evaluate(kernel(body), capped);
  CHECK(v.failed_gate == gate_compile);
  CHECK(gate(v, gate_compile).detail.size() <= 200);
  CHECK_THAT(gate(v, gate_compile).detail, Catch::EndsWith("[... truncated]"));
}

TEST_CASE("Compiling for a task that was never prepared is an error", "[hardware]") {
  test::temp_dir work{"cpu-backend-empty"};
  cpu_backend backend{small_config(work.path())};
  auto compiled = backend.compile(fixture().task, "", "x");
  REQUIRE_FALSE(compiled);
  CHECK(code_of(compiled.error()) == errc::not_found);
}

TEST_CASE("A reference that fails to compile or crashes makes preparation fail", "[hardware]") {
  auto task = fixture().task;
  SECTION("compile error") {
    task.reference_source = "void add_rows( {";
    auto ref = fixture().backend.prepare_task(task);
    REQUIRE_FALSE(ref);
    CHECK(code_of(ref.error()) == errc::compile_failed);
    CHECK_THAT(describe(ref.error()), Catch::Contains("reference does not compile"));
  }
  SECTION("crash") {
    task.reference_source =
        kernel("  float* far = c + (static_cast<long>(rows) << 40);\n  *far = a[0] + b[0];");
    auto ref = fixture().backend.prepare_task(task);
    REQUIRE_FALSE(ref);
    CHECK(code_of(ref.error()) == errc::reference_failed);
    CHECK_THAT(describe(ref.error()), Catch::Contains("SIGSEGV"));
  }
  SECTION("unwritten outputs") {
    task.reference_source = kernel("  c[0] = a[0] + b[0];");
    auto ref = fixture().backend.prepare_task(task);
    REQUIRE_FALSE(ref);
    CHECK(code_of(ref.error()) == errc::reference_failed);
    CHECK_THAT(describe(ref.error()), Catch::Contains("leaves 999 elements of output c NaN"));
  }
}

TEST_CASE("A run's file-size limit always covers the result channel its task needs", "[hardware]") {
  // The channel of add_4x250 over 8 seeds is about 100 KB: a 4 KiB limit would kill every run
  // with SIGXFSZ (as 256 MiB did for the 4M-element CUDA tasks), so the run stage raises it.
  test::temp_dir work{"cpu-backend-fsize"};
  auto config = small_config(work.path());
  config.run_limits.file_size_bytes = 4096;
  cpu_backend backend{config};
  auto ref = backend.prepare_task(fixture().task);
  if (!ref)
    FAIL(describe(ref.error()));
  CHECK(ref->outputs.size() == 8);
  auto v = backend.evaluate(fixture().task, fixture().task.reference_source, "fsize", *ref);
  REQUIRE(v);
  CHECK(v->is_timed());
}

TEST_CASE("Compiled candidates leave nothing behind once discarded", "[hardware]") {
  const auto& f = fixture();
  auto compiled = f.backend.compile(f.task, f.task.reference_source, "cleanup");
  REQUIRE(compiled);
  REQUIRE(compiled->ok);
  auto dir = compiled->dir;
  CHECK(std::filesystem::exists(compiled->binary));
  CHECK_FALSE(f.backend.discard(*compiled));
  CHECK_FALSE(std::filesystem::exists(dir));
  CHECK(compiled->binary.empty());
  CHECK(std::filesystem::is_empty(f.work.path() / "runs"));
}

TEST_CASE("A verdict failed at a gate records the earlier gates as passed", "[hardware]") {
  auto v = failed_verdict(gate_correctness, "bad", "cpu");
  REQUIRE(v.gates.size() == 3);
  CHECK(v.gates[0].gate == gate_hack);
  CHECK(v.gates[1].passed);
  CHECK_FALSE(v.gates[2].passed);
  CHECK(v.gates[2].detail == "bad");
  CHECK(v.failed_gate == gate_correctness);
  CHECK_FALSE(v.feasible);
  CHECK(failed_verdict(gate_latency, "", "cpu").feasible);
  auto parse = failed_verdict(gate_parse, "no code block", "cpu");
  REQUIRE(parse.gates.size() == 1);
  CHECK(parse.gates[0].gate == gate_parse);
}
