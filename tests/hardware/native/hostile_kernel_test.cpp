// The hostile-kernel corpus (kernel part): candidates that try to fool or crash the CPU backend, each
// with the verdict and failing gate it must get. Kernels the static gate would stop are also run past
// it (compile and run directly), so that the dynamic defences are tested on their own.
#include "hardware/native/cpu_backend.hpp"

#include "tests/support/hostile_fixture.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

const std::string& detail_of(const verdict& v, const std::string& gate) {
  for (const auto& g : v.gates)
    if (g.gate == gate)
      return g.detail;
  FAIL("no gate " + gate);
  return v.gates.front().detail;
}

// Checks a verdict failed at correctness (with hack and compile recorded as passed) and returns its detail.
std::string failed_correctness(const verdict& v) {
  CHECK(v.failed_gate == gate_correctness);
  CHECK_FALSE(v.feasible);
  CHECK_FALSE(v.is_timed());
  REQUIRE(v.gates.size() == 3);
  CHECK(v.gates[0].passed);
  CHECK(v.gates[1].passed);
  return detail_of(v, gate_correctness);
}

// The reference's outputs for seed 1 as a C++ initializer list.
std::string seed1_table() {
  std::string out;
  char buf[32];
  for (float x : test::hostile_fixture().reference.outputs[0][0]) {
    std::snprintf(buf, sizeof buf, "%.9gf, ", static_cast<double>(x));
    out += buf;
  }
  return out;
}

}  // namespace

TEST_CASE("Kernels that fake, cut short or corrupt the result channel fail at correctness",
          "[hardware][hostile]") {
  SECTION("printing a fake result on stdout, computing nothing") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("fake_stdout.cpp")));
    CHECK_THAT(detail, Catch::StartsWith("seed 1, output c: 1000 of 1000 elements differ") &&
                           Catch::Contains("1000 of them NaN or Inf"));
  }
  SECTION("printing a passing report, then exit(0)") {
    auto detail =
        failed_correctness(test::run_past_static_gate(test::hostile_kernel("fake_stdout_exit.cpp")));
    CHECK_THAT(detail,
               Catch::StartsWith("the program exited with code 0 before the harness reported anything") &&
                   Catch::Contains("all outputs match the reference"));
  }
  SECTION("exit(0) after a correct first result") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("exit_early.cpp")));
    CHECK_THAT(detail,
               Catch::StartsWith("the program exited with code 0 before the harness reported anything"));
  }
  SECTION("_exit(0)") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("underscore_exit.cpp")));
    CHECK_THAT(detail,
               Catch::StartsWith("the program exited with code 0 before the harness reported anything"));
  }
  SECTION("quick_exit(0) on the second call") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("quick_exit.cpp")));
    CHECK_THAT(detail,
               Catch::StartsWith("the program exited with code 0 before the harness reported anything"));
  }
  SECTION("junk written to every descriptor 3..64") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("junk_fds.cpp")));
    CHECK_THAT(detail,
               Catch::StartsWith("the result channel ") && Catch::Contains("wrote to the result descriptor"));
  }
  SECTION("a complete forged report with a nonce stolen from the command line") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("forged_channel.cpp")));
    CHECK_THAT(detail, Catch::StartsWith("the result channel holds a record with a wrong nonce at byte 0") &&
                           Catch::Contains("forged"));
    // The harness overwrote the nonce in argv before the kernel ran: all the kernel saw was x's.
    CHECK_THAT(detail, Catch::Contains("stolen nonce: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"));
  }
  SECTION("closing every descriptor 3..64") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("close_fds.cpp")));
    CHECK_THAT(detail,
               Catch::StartsWith("exit code 4") && Catch::Contains("cannot write the result channel"));
  }
}

TEST_CASE("Kernels that cache, skip work or hard-code results fail at correctness", "[hardware][hostile]") {
  SECTION("a static buffer with the first result, returned on later calls") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("static_cache.cpp")));
    CHECK_THAT(detail, Catch::StartsWith("seed 2, output c: "));
  }
  SECTION("work on the first call only") {
    auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("first_call_only.cpp")));
    CHECK_THAT(detail, Catch::StartsWith("seed 2, output c: 1000 of 1000 elements differ") &&
                           Catch::Contains("NaN or Inf"));
  }
  SECTION("honest for the correctness calls, a replayed result while timed") {
    // Only the alternation of inputs during timing catches this one.
    auto detail =
        failed_correctness(test::run_past_static_gate(test::hostile_kernel("cache_after_checks.cpp")));
    CHECK_THAT(detail, Catch::StartsWith("after timing (seed "));
    CHECK_THAT(detail, !Catch::Contains("seed 1, output") && !Catch::Contains("seed 2, output"));
  }
  SECTION("the reference's seed-1 output, hard-coded") {
    auto source = test::hostile_kernel("hardcoded_seed1.cpp");
    source.replace(source.find("@SEED1_OUTPUT@"), 14, seed1_table());
    auto detail = failed_correctness(test::run_past_static_gate(source));
    CHECK_THAT(detail, Catch::StartsWith("seed 2, output c: ") && !Catch::Contains("seed 1, output"));
  }
}

TEST_CASE("A kernel that writes into its inputs fails at correctness naming the input",
          "[hardware][hostile]") {
  auto detail = failed_correctness(test::run_past_static_gate(test::hostile_kernel("mutate_inputs.cpp")));
  CHECK_THAT(detail,
             Catch::StartsWith("seed 1, the kernel wrote into input b: 1000 of 1000 elements changed; "
                               "first at [0, 0]: "));
  CHECK_THAT(detail, Catch::Contains("seed 2, the kernel wrote into input b") && !Catch::Contains("input a"));
  CHECK_THAT(detail, !Catch::Contains("output c"));
}

TEST_CASE("A kernel that reads its inputs from disk is stopped by both gates", "[hardware][hostile]") {
  auto source = test::hostile_kernel("read_inputs_file.cpp");
  auto v = test::evaluate_hostile(source);
  CHECK(v.failed_gate == gate_hack);
  CHECK_THAT(detail_of(v, gate_hack), Catch::Contains("file I/O"));
  // Past the static gate, the input files are gone before the kernel first runs.
  auto detail = failed_correctness(test::run_past_static_gate(source));
  CHECK_THAT(detail, Catch::StartsWith("seed 1, output c: 1000 of 1000 elements differ") &&
                         Catch::Contains("1000 of them NaN or Inf"));
  SECTION("even from a global initializer, which runs before main") {
    auto early = test::run_past_static_gate(test::hostile_kernel("static_init_reader.cpp"));
    CHECK_THAT(failed_correctness(early),
               Catch::StartsWith("the program exited with code 0 before the harness reported anything") &&
                   Catch::Contains("static initializer: inputs gone, channel gone"));
  }
}

TEST_CASE("Wrong, NaN, crashing and hanging kernels fail at correctness", "[hardware][hostile]") {
  SECTION("NaN output") {
    auto detail = failed_correctness(test::evaluate_hostile(test::hostile_kernel("nan_output.cpp")));
    CHECK_THAT(detail, Catch::StartsWith("seed 1, output c: 1 of 1000 elements differ") &&
                           Catch::Contains("1 of them NaN or Inf; first at [0, 5]: got nan"));
  }
  SECTION("wrong result") {
    auto v = test::evaluate_hostile(test::hostile_kernel("wrong_result.cpp"));
    auto detail = failed_correctness(v);
    CHECK_THAT(detail, Catch::StartsWith("seed 1, output c: "));
    CHECK(v.max_abs_error > 0);
  }
  SECTION("segfault") {
    auto detail = failed_correctness(test::evaluate_hostile(test::hostile_kernel("segfault.cpp")));
    CHECK_THAT(detail, Catch::StartsWith("killed by signal SIGSEGV (Segmentation fault)"));
  }
  SECTION("infinite loop, under a short wall-clock limit") {
    auto config = test::hostile_config(test::hostile_fixture().work.path());
    config.run_limits.wall_ms = 1000;
    config.run_limits.grace_ms = 50;
    cpu_backend short_backend{config};
    auto v = test::evaluate_hostile(test::hostile_kernel("infinite_loop.cpp"), short_backend);
    CHECK(failed_correctness(v) == "timed out after 1 s");
    CHECK(v.run_ms < 5000);
  }
}

TEST_CASE("Clock, inline asm, system, dlopen and threads are stopped by the static gate",
          "[hardware][hostile]") {
  auto expect_hack = [](const std::string& file, const std::string& reason) {
    auto v = test::evaluate_hostile(test::hostile_kernel(file));
    INFO(file);
    CHECK(v.failed_gate == gate_hack);
    CHECK_FALSE(v.feasible);
    REQUIRE(v.gates.size() == 1);
    CHECK_THAT(v.gates[0].detail, Catch::Contains(reason));
    CHECK(v.compile_ms == 0);
  };
  expect_hack("clock.cpp", "(time)");
  expect_hack("inline_asm.cpp", "(inline assembly)");
  expect_hack("system_call.cpp", "'system' is not allowed (process control)");
  expect_hack("dlopen.cpp", "'dlopen' is not allowed (dynamic loading)");
  expect_hack("thread_outlives.cpp", "(threads)");
}

TEST_CASE("After the hostile suite the backend still verifies a correct kernel", "[hardware][hostile]") {
  const auto& f = test::hostile_fixture();
  for (const char* name : {"junk_fds.cpp", "forged_channel.cpp", "cache_after_checks.cpp"})
    CHECK_FALSE(test::run_past_static_gate(test::hostile_kernel(name)).feasible);
  auto v = test::evaluate_hostile(f.task.reference_source);
  CHECK(v.feasible);
  CHECK(v.is_timed());
  CHECK(v.failed_gate.empty());
  CHECK(v.max_abs_error == 0);
  CHECK(std::filesystem::is_empty(f.work.path() / "runs"));
}
