// The hostile corpus against the judge itself: a kernel that redirects the harness's clock, caches
// that bet on how the timing loop orders its inputs, attributes hidden behind macros, relocation
// and symbol-table walking, dynamic symbol lookup and the Python C API. Each gets a failing verdict.
#include "hardware/native/cpu_backend.hpp"

#include "tests/support/hostile_fixture.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

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
  auto detail = correctness_detail(test::run_past_static_gate(test::hostile_kernel("got_clock.cpp")));
  CHECK_THAT(detail, Catch::StartsWith("killed by signal SIGSEGV"));
}

TEST_CASE("A cache betting on alternating input sets fails: the sets come in random order",
          "[hardware][hostile][judge]") {
  REQUIRE(test::hostile_fixture().reference.inputs.size() >= 8);
  auto detail = correctness_detail(test::run_past_static_gate(test::hostile_kernel("alternation_cache.cpp")));
  // The correctness calls run seeds 1..8 in order: seed 3 already gets seed 1's result.
  CHECK_THAT(detail, Catch::StartsWith("seed 3, output c: "));
}

TEST_CASE("Attributes behind macros are seen: in a macro body, and after macro expansion",
          "[hardware][hostile][judge]") {
  CHECK_THAT(hack_detail(test::evaluate_hostile(test::hostile_kernel("macro_constructor.cpp"))),
             Catch::Contains(
                 "'constructor' is not allowed (attributes that run or redirect code, here in a macro)"));
  auto expanded = hack_detail(test::evaluate_hostile(test::hostile_kernel("macro_constructor_arg.cpp")));
  CHECK_THAT(expanded,
             Catch::StartsWith("after macro expansion: ") &&
                 Catch::Contains("'constructor' is not allowed (attributes that run or redirect code)"));
  SECTION("without the preprocessed pass the argument form gets through the lexical gate") {
    auto config = test::hostile_config(test::hostile_fixture().work.path());
    config.gate_preprocess = false;
    cpu_backend lexical{config};
    CHECK(lexical.hack_check(test::hostile_fixture().task, test::hostile_kernel("macro_constructor_arg.cpp"))
              .passed);
  }
}

TEST_CASE("Relocation walking, dynamic symbol lookup and the Python C API are stopped by the static gate",
          "[hardware][hostile][judge]") {
  auto walk = hack_detail(test::evaluate_hostile(test::hostile_kernel("relocation_walk.cpp")));
  CHECK_THAT(walk,
             Catch::Contains("an ELF magic literal is not allowed (relocation and symbol-table walking)"));
  CHECK_THAT(walk, Catch::Contains("'(*)(...)' is not allowed (function pointers"));
  CHECK_THAT(hack_detail(test::evaluate_hostile(test::hostile_kernel("got_clock.cpp"))),
             Catch::Contains("is not allowed (relocation and symbol-table walking)"));
  CHECK_THAT(hack_detail(test::evaluate_hostile(test::hostile_kernel("dlsym_lookup.cpp"))),
             Catch::Contains("'dlsym' is not allowed (dynamic loading)"));
  CHECK_THAT(hack_detail(test::evaluate_hostile(test::hostile_kernel("python_capi.cpp"))),
             Catch::Contains("'PyRun_SimpleString' is not allowed (the Python C API)"));
}

TEST_CASE("After the judge's hostile suite the reference still passes every gate",
          "[hardware][hostile][judge]") {
  auto v = test::evaluate_hostile(test::hostile_fixture().task.reference_source);
  CHECK(v.feasible);
  CHECK(v.is_timed());
  CHECK(v.max_abs_error == 0);
}
