// kforge verify and kforge tasks check as a user meets them: verdicts, exit codes, messages.

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <string>

using namespace kforge;

namespace {

const std::string row_sum_task = std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/row_sum_256x2048.toml";

}  // namespace

TEST_CASE("kforge verify judges one CPU candidate through every gate and says so by its exit code",
          "[runtime][verify]") {
  test::temp_dir dir{"verify"};
  std::string out;
  SECTION("a correct kernel passes every gate, with timings and a speedup") {
    auto good =
        dir.write("good.cpp",
                  "void row_sum(const float* x, float* y, int rows, int cols) {\n"
                  "  for (int r = 0; r < rows; ++r) {\n    float s = 0;\n"
                  "    for (int c = 0; c < cols; ++c) s += x[r * cols + c];\n    y[r] = s;\n  }\n}\n");
    REQUIRE(test::run_to_end({KFORGE_BINARY, "verify", good, "--task", row_sum_task, "--json"}, out) == 0);
    auto j = nlohmann::json::parse(out.substr(out.find('{')));
    CHECK(j["task"] == "row_sum_256x2048");
    CHECK(j["timed"] == true);
    CHECK(j["gates"].size() == 4);
    CHECK(j["timing"]["count"].get<int>() > 0);
    CHECK(j["reference"]["median_ns"].get<double>() > 0);
    CHECK(j["speedup"].get<double>() > 0);
    CHECK(j["exit_code"] == 0);
    REQUIRE(test::run_to_end({KFORGE_BINARY, "verify", good, "--task", row_sum_task}, out) == 0);
    CHECK_THAT(out, Catch::Contains("passed every gate"));
    CHECK_THAT(out, Catch::Contains("x over the reference"));
  }
  SECTION("a caller's umask of 077 does not lock the sandboxed compiler out of the work directory") {
    // The GPU worker of a service unit with UMask=0077 failed every compile with "Permission
    // denied": its work directory's files were unreadable by the sandbox's uids.
    auto good = dir.write("good.cpp",
                          "void row_sum(const float* x, float* y, int rows, int cols) {\n"
                          "  for (int r = 0; r < rows; ++r) {\n    float s = 0;\n"
                          "    for (int c = 0; c < cols; ++c) s += x[r * cols + c];\n"
                          "    y[r] = s;\n  }\n}\n");
    auto old_mask = ::umask(077);
    auto code = test::run_to_end({KFORGE_BINARY, "verify", good, "--task", row_sum_task}, out);
    ::umask(old_mask);
    CHECK_THAT(out, !Catch::Contains("Permission denied"));
    CHECK(code == 0);
  }
  SECTION("a wrong result fails the correctness gate: exit 5, with the mismatch") {
    auto wrong = dir.write("wrong.cpp",
                           "void row_sum(const float* x, float* y, int rows, int cols) {\n"
                           "  for (int r = 0; r < rows; ++r) y[r] = x[r * cols];\n}\n");
    CHECK(test::run_to_end({KFORGE_BINARY, "verify", wrong, "--task", row_sum_task}, out) == 5);
    CHECK_THAT(out, Catch::Contains("gate correctness: FAILED"));
  }
  SECTION("a forbidden include fails the hack gate (3), a syntax error the compile gate (4)") {
    auto io = dir.write("io.cpp",
                        "#include <cstdio>\nvoid row_sum(const float* x, float* y, int rows, int cols) {}\n");
    CHECK(test::run_to_end({KFORGE_BINARY, "verify", io, "--task", row_sum_task}, out) == 3);
    CHECK_THAT(out, Catch::Contains("gate hack: FAILED"));
    CHECK_THAT(out, Catch::Contains("<cstdio>"));
    auto broken = dir.write("broken.cpp", "void row_sum(const float* x, float* y, int rows, int cols) {\n");
    CHECK(test::run_to_end({KFORGE_BINARY, "verify", broken, "--task", row_sum_task}, out) == 4);
    CHECK_THAT(out, Catch::Contains("gate compile: FAILED"));
  }
  SECTION("bad input exits 2 saying what is wrong") {
    auto good = dir.write("k.cpp", "void row_sum(const float*, float*, int, int) {}\n");
    CHECK(test::run_to_end({KFORGE_BINARY, "verify", good, "--task", (dir.path() / "no.toml").string()},
                           out) == 2);
    CHECK_THAT(out, Catch::Contains("no such task file"));
    CHECK(test::run_to_end(
              {KFORGE_BINARY, "verify", (dir.path() / "none.cpp").string(), "--task", row_sum_task}, out) ==
          2);
    CHECK_THAT(out, Catch::Contains("cannot read the candidate"));
    CHECK(test::run_to_end({KFORGE_BINARY, "verify", good, "--task", row_sum_task, "--device", "cuda"},
                           out) == 2);
    CHECK_THAT(out, Catch::Contains("is a CPU task"));
  }
}

TEST_CASE("kforge verify of a KernelBench problem without a GPU says there is no CUDA device",
          "[runtime][verify]") {
  const std::string problem =
      std::string{KFORGE_SOURCE_DIR} + "/tests/hardware/data/kernelbench/level1/19_ReLU.py";
  std::string out;
  int rc = test::run_to_end({KFORGE_BINARY, "verify", problem, "--task", problem}, out);
  if (out.find("no CUDA device") == std::string::npos && rc != 2) {
    WARN("skipped: this machine has a usable GPU (the KernelBench path is checked on the GPU)");
    return;
  }
  CHECK(rc == 2);
  CHECK_THAT(out, Catch::Contains("device cuda: no CUDA device"));
}

TEST_CASE("kforge tasks check parses task files and runs each reference, naming the bad ones",
          "[runtime][verify]") {
  test::temp_dir dir{"tasks-check"};
  std::string out;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "tasks", "check", row_sum_task}, out) == 0);
  CHECK_THAT(out, Catch::Contains("ok    row_sum_256x2048"));
  CHECK_THAT(out, Catch::Contains("1 task files: 1 ok"));
  auto bad = dir.write("bad.toml", "id = \"x\"\nfamily = 3\n");
  CHECK(test::run_to_end({KFORGE_BINARY, "tasks", "check", dir.path().string()}, out) == 2);
  CHECK_THAT(out, Catch::Contains("FAIL  "));
  CHECK_THAT(out, Catch::Contains(bad));
  CHECK_THAT(out, Catch::Contains("1 with problems"));
}
