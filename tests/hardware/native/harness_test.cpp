#include "hardware/native/harness.hpp"

#include "hardware/gates/compare.hpp"
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
  auto source = harness_task_source(task);
  CHECK_THAT(source, Catch::Contains("void k(const float* x, float* y, int n);"));
  CHECK_THAT(source, Catch::Contains("float* x = kforge_in[0];"));
  CHECK_THAT(source, Catch::Contains("float* y = kforge_out[0];"));
  CHECK_THAT(source, Catch::Contains("static_cast<void>(k(x, y, 8));"));
  CHECK_THAT(source, Catch::Contains("input_sizes[] = {6u, 0u}"));
  CHECK_THAT(source, Catch::Contains("input_count = 1;"));
  // The core is the same for every task: nothing of this one is in it.
  const auto& core = harness_core_source();
  CHECK_THAT(core, Catch::Contains("__attribute__((constructor(101)))"));
  CHECK_THAT(core, Catch::Contains("kforge_task::call("));
  CHECK_THAT(core, !Catch::Contains("void k("));
  CHECK_THAT(core, !Catch::Contains("@"));
  task.signature = "void other(const float* x, float* y)";
  CHECK(harness_core_source() == core);
  run_nonce nonce{};
  nonce[0] = 0xab;
  nonce[15] = 0x01;
  CHECK(to_hex(nonce) == "ab000000000000000000000000000001");
  CHECK(harness_args({2, 3, 10, 100, 5000, 0, 0.02}, nonce) ==
        std::vector<std::string>{"2", "3", "10", "100", "5000", "0", "20000", to_hex(nonce)});
}

TEST_CASE("Nonces are fresh for every run", "[hardware]") {
  auto a = make_nonce();
  auto b = make_nonce();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
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

TEST_CASE("An input is unchanged only if every bit is", "[hardware]") {
  tensor_spec spec;
  spec.name = "x";
  spec.shape = {2, 3};
  std::vector<float> want = {0, 1, 2, 3, 4, 5};
  CHECK(compare_input(spec, want, want).passed);
  auto got = want;
  got[0] = -0.0f;
  got[4] = 4.5f;
  auto c = compare_input(spec, got, want);
  CHECK_FALSE(c.passed);
  CHECK(c.mismatches == 2);
  CHECK(c.detail == "input x: 2 of 6 elements changed; first at [0, 0]: -0, generated 0");
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

namespace {

// A task with two inputs of 6 and 4 elements and one output of 6, and a well-formed channel for it.
struct channel_case {
  task_def task;
  harness_params params{2, 0, 2, 4, 1000, 0, 0.02};
  run_nonce nonce{};
  tensor_set out1 = {{1, 2, 3, 4, 5, 6}};
  tensor_set out2 = {{6, 5, 4, 3, 2, 1}};
  tensor_set in1 = {{1, 1, 1, 1, 1, 1}, {2, 2, 2, 2}};
  tensor_set in2 = {{3, 3, 3, 3, 3, 3}, {4, 4, 4, 4}};

  channel_case() {
    task.inputs = two_specs();
    task.outputs = two_specs();
    task.outputs.pop_back();
    task.outputs[0].name = "y";
    nonce[3] = 7;
  }

  std::string record(record_type type, uint32_t index, const std::string& payload) const {
    return encode_record(type, index, nonce, payload);
  }

  // The records of a finished run; `end_count` records came before the end record.
  std::string body() const {
    return record(record_type::outputs, 1, encode_tensors(out1)) +
           record(record_type::inputs, 1, encode_tensors(in1)) +
           record(record_type::outputs, 2, encode_tensors(out2)) +
           record(record_type::inputs, 2, encode_tensors(in2)) +
           record(record_type::timing, 0, encode_times({30, 10, 20})) +
           record(record_type::timed_outputs, 1, encode_tensors(out1)) +
           record(record_type::timed_outputs, 2, encode_tensors(out2));
  }

  std::string end(uint64_t records = 7) const { return record(record_type::end, 0, encode_end(records, 3)); }

  std::string problem(const std::string& bytes) const {
    auto parsed = parse_channel(bytes, nonce, task, params);
    REQUIRE_FALSE(parsed);
    return reason(parsed.error());
  }
};

}  // namespace

TEST_CASE("A complete result channel with the run's nonce parses into the harness report", "[hardware]") {
  channel_case c;
  auto bytes = c.body() + c.end();
  CHECK(bytes.size() <= max_channel_bytes(c.task, c.params));
  auto parsed = parse_channel(bytes, c.nonce, c.task, c.params);
  REQUIRE(parsed);
  CHECK(parsed->outputs == std::vector<tensor_set>{c.out1, c.out2});
  CHECK(parsed->inputs_after == std::vector<tensor_set>{c.in1, c.in2});
  CHECK(parsed->timed_outputs == std::vector<tensor_set>{c.out1, c.out2});
  CHECK(parsed->times_ns == std::vector<uint64_t>{30, 10, 20});
  CHECK(parsed->pinned_cpu == 3);
}

TEST_CASE("A result channel that is empty, forged, corrupted or unfinished is rejected with a reason",
          "[hardware]") {
  channel_case c;
  SECTION("empty") {
    CHECK(c.problem("") == "io_failed: is empty: the harness reported nothing");
  }
  SECTION("a wrong nonce") {
    auto forged = c;
    forged.nonce[3] = 8;
    CHECK_THAT(c.problem(forged.body() + forged.end()),
               Catch::StartsWith("io_failed: holds a record with a wrong nonce at byte 0") &&
                   Catch::Contains("forged"));
  }
  SECTION("a forged record before the real ones") {
    auto forged = c;
    forged.nonce = {};
    CHECK_THAT(c.problem(forged.end() + c.body() + c.end()),
               Catch::StartsWith("io_failed: holds a record with a wrong nonce at byte 0"));
  }
  SECTION("junk before, between or after the records") {
    CHECK_THAT(c.problem("junk" + c.body() + c.end()),
               Catch::StartsWith("io_failed: holds bytes that are not a harness record at byte 0"));
    auto first = c.record(record_type::outputs, 1, encode_tensors(c.out1));
    CHECK_THAT(c.problem(first + "KFREC" + c.body().substr(first.size()) + c.end()),
               Catch::StartsWith("io_failed: holds bytes that are not a harness record at byte " +
                                 std::to_string(first.size())));
    CHECK_THAT(c.problem(c.body() + c.end() + "x"),
               Catch::StartsWith("io_failed: holds bytes after the end record"));
  }
  SECTION("no end record, or one that comes too early or counts wrong") {
    CHECK(c.problem(c.body()) == "io_failed: has no end record: the harness did not finish");
    CHECK_THAT(c.problem(c.body().substr(0, c.body().size() - 3)),
               Catch::StartsWith("io_failed: is cut short inside a record at byte"));
    CHECK_THAT(c.problem(c.end(0)), Catch::Contains("comes before every result was reported"));
    CHECK_THAT(c.problem(c.body() + c.end(6)), Catch::Contains("counts 6 records, but 7 came before it"));
  }
  SECTION("a record twice, or of the wrong size") {
    auto twice = c.record(record_type::timing, 0, encode_times({1}));
    CHECK_THAT(c.problem(c.body() + twice + c.end(8)), Catch::Contains("a second timing record"));
    auto small = c.record(record_type::outputs, 1, encode_tensors({{1, 2}}));
    CHECK_THAT(c.problem(small), Catch::Contains("bad outputs record at byte 0: seed 1 holds"));
    auto far = c.record(record_type::outputs, 3, encode_tensors(c.out1));
    CHECK_THAT(c.problem(far), Catch::Contains("seed 3 is out of range"));
  }
}
