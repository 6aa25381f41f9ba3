#include "hardware/harness.hpp"

#include "hardware/compare.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <limits>

using namespace kforge;
using namespace kforge::hardware;

namespace {

std::vector<tensor_spec> two_specs() {
  tensor_spec a;
  a.name = "a";
  a.shape = {2, 3};
  tensor_spec b;
  b.name = "b";
  b.shape = {4};
  return {a, b};
}

std::string reason(const caf::error& err) {
  return describe(err);
}

}  // namespace

TEST_CASE("Tensor files round-trip and malformed ones are rejected with a reason", "[hardware]") {
  test::temp_dir dir{"harness"};
  auto file = dir.path() / "t.bin";
  tensor_set tensors = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10}};
  REQUIRE_FALSE(write_tensor_file(file, tensors));
  auto back = read_tensor_file(file, two_specs());
  REQUIRE(back);
  CHECK(*back == tensors);

  SECTION("missing") {
    CHECK(reason(read_tensor_file(dir.path() / "none.bin", two_specs()).error()) == "io_failed: missing");
  }
  SECTION("short") {
    std::filesystem::resize_file(file, std::filesystem::file_size(file) - 1);
    CHECK(reason(read_tensor_file(file, two_specs()).error()) == "io_failed: too short");
  }
  SECTION("garbage") {
    std::ofstream{file, std::ios::binary} << "this is not a tensor file at all";
    CHECK(reason(read_tensor_file(file, two_specs()).error()) == "io_failed: bad header");
  }
  SECTION("wrong sizes") {
    auto specs = two_specs();
    specs[1].shape = {5};
    CHECK(reason(read_tensor_file(file, specs).error()) == "io_failed: tensor b has 4 elements, expected 5");
    specs.pop_back();
    CHECK(reason(read_tensor_file(file, specs).error()) == "io_failed: holds 2 tensors, expected 1");
  }
  SECTION("trailing bytes") {
    std::ofstream{file, std::ios::binary | std::ios::app} << "x";
    CHECK(reason(read_tensor_file(file, two_specs()).error()) == "io_failed: has trailing bytes");
  }
}

TEST_CASE("Timing statistics give the median, minimum, mean and spread", "[hardware]") {
  auto stats = summarize_timing({40, 10, 30, 20});
  CHECK(stats.count == 4);
  CHECK(stats.min_ns == 10);
  CHECK(stats.median_ns == 25);
  CHECK(stats.mean_ns == 25);
  CHECK(stats.stddev_ns == Approx(std::sqrt(500.0 / 3.0)));
  CHECK(summarize_timing({7}).median_ns == 7);
  CHECK(summarize_timing({}).count == 0);
}

TEST_CASE("The harness source binds inputs and outputs by name and makes the task's call", "[hardware]") {
  task_def task;
  task.signature = "void k(const float* x, float* y, int n)";
  task.call = "k(x, y, 8)";
  task.inputs = two_specs();
  task.inputs[0].name = "x";
  task.inputs.pop_back();
  task.outputs = two_specs();
  task.outputs[0].name = "y";
  task.outputs.pop_back();
  auto source = harness_source(task);
  CHECK_THAT(source, Catch::Contains("void k(const float* x, float* y, int n);"));
  CHECK_THAT(source, Catch::Contains("float* x = kforge_in[0].data();"));
  CHECK_THAT(source, Catch::Contains("float* y = kforge_out[0].data();"));
  CHECK_THAT(source, Catch::Contains("static_cast<void>(k(x, y, 8));"));
  CHECK_THAT(source, Catch::Contains("kforge_input_sizes = {6u}"));
  CHECK(harness_args({2, 3, 10, 100, 5000, 0}) ==
        std::vector<std::string>{"2", "3", "10", "100", "5000", "0"});
}

TEST_CASE("Inputs are the same for a task and seed and differ across seeds and tensors", "[hardware]") {
  task_def task;
  task.id = "t";
  task.inputs = two_specs();
  task.inputs[0].init = "normal";
  task.inputs[1].lo = 5;
  task.inputs[1].hi = 6;
  auto one = generate_inputs(task, 1);
  CHECK(one == generate_inputs(task, 1));
  CHECK(one != generate_inputs(task, 2));
  task.id = "u";
  CHECK(one != generate_inputs(task, 1));
  REQUIRE(one.size() == 2);
  CHECK(one[0].size() == 6);
  for (float x : one[1])
    CHECK((x >= 5.0f && x <= 6.0f));
}

TEST_CASE("Comparison reports the first mismatch by position, NaN included", "[hardware]") {
  tensor_spec spec;
  spec.name = "y";
  spec.shape = {2, 2, 3};
  CHECK(format_index(spec.shape, 0) == "[0, 0, 0]");
  CHECK(format_index(spec.shape, 11) == "[1, 1, 2]");
  std::vector<float> want(12, 1.0f);
  auto got = want;
  CHECK(compare_tensor(spec, got, want, 1e-6, 1e-6).passed);
  got[4] = 1.5f;
  got[9] = std::numeric_limits<float>::quiet_NaN();
  auto c = compare_tensor(spec, got, want, 1e-6, 1e-6);
  CHECK_FALSE(c.passed);
  CHECK(c.mismatches == 2);
  CHECK(c.non_finite == 1);
  CHECK(c.max_abs_error == 0.5);
  CHECK(
      c.detail ==
      "output y: 2 of 12 elements differ (atol 1e-06, rtol 1e-06), 1 of them NaN or Inf; first at [0, 1, 1]: "
      "got 1.5, expected 1; max abs error 0.5");
  // Within atol + rtol * |ref| passes; a NaN reference must be matched by NaN.
  got = want;
  got[0] = 1.0f + 1e-3f;
  CHECK(compare_tensor(spec, got, want, 1e-3, 1e-3).passed);
  want[1] = std::numeric_limits<float>::quiet_NaN();
  got[1] = want[1];
  CHECK(compare_tensor(spec, got, want, 1e-3, 1e-3).passed);
  got[1] = 0;
  CHECK_FALSE(compare_tensor(spec, got, want, 1e-3, 1e-3).passed);
}
