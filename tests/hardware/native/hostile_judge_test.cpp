// The hostile corpus against the judge itself: a kernel that redirects the harness's clock, caches
// that bet on how the timing loop orders its inputs, attributes hidden behind macros, relocation
// and symbol-table walking, dynamic symbol lookup and the Python C API. Each gets a failing verdict.
#include "hardware/native/cpu_backend.hpp"

#include "tests/support/prepared_task.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

const std::filesystem::path kernel_dir =
    std::filesystem::path{KFORGE_SOURCE_DIR} / "tests/hardware/hostile/kernels";

cpu_backend_config judge_config(const std::filesystem::path& work_dir) {
  cpu_backend_config config;
  config.work_dir = work_dir;
  config.cxx_flags = {"-O2"};
  config.min_runs = 10;
  config.max_runs = 40;
  config.target_ms = 5;
  config.flush_kib = 64;
  config.run_limits.wall_ms = 10'000;
  return config;
}

const test::prepared_task& fixture() {
  static const test::prepared_task instance{"judge", judge_config};
  return instance;
}

std::string kernel_source(const std::string& name) {
  std::ifstream in{kernel_dir / name};
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

verdict evaluate(const std::string& source) {
  const auto& f = fixture();
  auto v = f.backend.evaluate(f.task, source, "judge", f.reference);
  if (!v)
    FAIL(describe(v.error()));
  return *v;
}

verdict run_past_static_gate(const std::string& source) {
  const auto& f = fixture();
  auto compiled = f.backend.compile(f.task, source, "judge");
  if (!compiled)
    FAIL(describe(compiled.error()));
  REQUIRE(compiled->ok);
  auto v = f.backend.run(f.task, *compiled, f.reference);
  CHECK_FALSE(f.backend.discard(*compiled));
  if (!v)
    FAIL(describe(v.error()));
  return *v;
}

std::string hack_detail(const verdict& v) {
  CHECK(v.failed_gate == gate_hack);
  CHECK_FALSE(v.feasible);
  REQUIRE(v.gates.size() == 1);
  CHECK(v.compile_ms == 0);
  return v.gates[0].detail;
}

std::string correctness_detail(const verdict& v) {
  CHECK(v.failed_gate == gate_correctness);
  CHECK_FALSE(v.feasible);
  CHECK_FALSE(v.is_timed());
  REQUIRE(v.gates.size() == 3);
  return v.gates[2].detail;
}

}  // namespace

TEST_CASE("A kernel that points the harness's clock_gettime slot at a slow clock is killed by full RELRO",
          "[hardware][hostile][judge]") {
  auto detail = correctness_detail(run_past_static_gate(kernel_source("got_clock.cpp")));
  CHECK_THAT(detail, Catch::StartsWith("killed by signal SIGSEGV"));
}

TEST_CASE("A cache betting on alternating input sets fails: the sets come in random order",
          "[hardware][hostile][judge]") {
  REQUIRE(fixture().reference.inputs.size() >= 8);
  auto detail = correctness_detail(run_past_static_gate(kernel_source("alternation_cache.cpp")));
  // The correctness calls run seeds 1..8 in order: seed 3 already gets seed 1's result.
  CHECK_THAT(detail, Catch::StartsWith("seed 3, output c: "));
}

TEST_CASE("Attributes behind macros are seen: in a macro body, and after macro expansion",
          "[hardware][hostile][judge]") {
  CHECK_THAT(hack_detail(evaluate(kernel_source("macro_constructor.cpp"))),
             Catch::Contains(
                 "'constructor' is not allowed (attributes that run or redirect code, here in a macro)"));
  auto expanded = hack_detail(evaluate(kernel_source("macro_constructor_arg.cpp")));
  CHECK_THAT(expanded,
             Catch::StartsWith("after macro expansion: ") &&
                 Catch::Contains("'constructor' is not allowed (attributes that run or redirect code)"));
  SECTION("without the preprocessed pass the argument form gets through the lexical gate") {
    auto config = judge_config(fixture().work.path());
    config.gate_preprocess = false;
    cpu_backend lexical{config};
    CHECK(lexical.hack_check(fixture().task, kernel_source("macro_constructor_arg.cpp")).passed);
  }
}

TEST_CASE("Relocation walking, dynamic symbol lookup and the Python C API are stopped by the static gate",
          "[hardware][hostile][judge]") {
  auto walk = hack_detail(evaluate(kernel_source("relocation_walk.cpp")));
  CHECK_THAT(walk,
             Catch::Contains("an ELF magic literal is not allowed (relocation and symbol-table walking)"));
  CHECK_THAT(walk, Catch::Contains("'(*)(...)' is not allowed (function pointers"));
  CHECK_THAT(hack_detail(evaluate(kernel_source("got_clock.cpp"))),
             Catch::Contains("is not allowed (relocation and symbol-table walking)"));
  CHECK_THAT(hack_detail(evaluate(kernel_source("dlsym_lookup.cpp"))),
             Catch::Contains("'dlsym' is not allowed (dynamic loading)"));
  CHECK_THAT(hack_detail(evaluate(kernel_source("python_capi.cpp"))),
             Catch::Contains("'PyRun_SimpleString' is not allowed (the Python C API)"));
}

TEST_CASE("After the judge's hostile suite the reference still passes every gate",
          "[hardware][hostile][judge]") {
  auto v = evaluate(fixture().task.reference_source);
  CHECK(v.feasible);
  CHECK(v.is_timed());
  CHECK(v.max_abs_error == 0);
}
