// Task shapes too large for a 64-bit count or for this machine's free memory are refused when a
// task file is loaded, and the memory a campaign's references take is counted without overflow.

#include "hardware/tasks/task_memory.hpp"

#include "hardware/tasks/task_loader.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

// Writes a task file with the shape `shape` for its input and output beside a reference and loads it.
caf::expected<task_def> load_with_shape(const test::temp_dir& dir, const std::string& shape) {
  std::ofstream{dir.path() / "ref.cpp"} << "void f(const float* x, float* y) {}\n";
  auto file = dir.path() / "task.toml";
  std::ofstream{file} << "id = \"big\"\nfamily = \"add\"\nbackend = \"cpu\"\n"
                         "signature = \"void f(const float* x, float* y)\"\ncall = \"f(x, y)\"\n"
                         "reference = \"ref.cpp\"\ntemplate = \"ref.cpp\"\n"
                         "[[inputs]]\nname = \"x\"\nshape = "
                      << shape << "\n[[outputs]]\nname = \"y\"\nshape = [8]\n";
  return load_task(file);
}

task_def task_of(const std::string& id, std::vector<int64_t> in, std::vector<int64_t> out,
                 const std::string& backend = "cpu") {
  task_def t;
  t.id = id;
  t.backend = backend;
  t.inputs = {tensor_spec{"x", std::move(in)}};
  t.outputs = {tensor_spec{"y", std::move(out)}};
  return t;
}

}  // namespace

TEST_CASE("element counts and byte counts of shapes are checked for overflow", "[hardware]") {
  CHECK(checked_elements({4, 250}) == 1000);
  CHECK(checked_elements({int64_t{1} << 31, int64_t{1} << 31}) == int64_t{1} << 62);
  CHECK_FALSE(checked_elements({int64_t{1} << 32, int64_t{1} << 32}));
  // The plain count saturates instead of overflowing (shapes from elsewhere than a task file).
  CHECK(tensor_spec{"a", {int64_t{1} << 32, int64_t{1} << 32}}.elements() == INT64_MAX);
  CHECK(tensor_spec{"a", {4, 250}}.elements() == 1000);
  CHECK(tensor_set_bytes({tensor_spec{"a", {1000}}, tensor_spec{"b", {10, 10}}}) == 4400);
  // 2^62 elements fit in int64, their 2^64 bytes do not.
  CHECK_FALSE(tensor_set_bytes({tensor_spec{"a", {int64_t{1} << 31, int64_t{1} << 31}}}));
}

TEST_CASE("MemAvailable is read from a meminfo text", "[hardware]") {
  CHECK(parse_mem_available("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2048 kB\n") ==
        uint64_t{2048} * 1024);
  CHECK_FALSE(parse_mem_available("MemTotal: 100 kB\n"));
  auto here = available_memory_bytes();
  REQUIRE(here);  // Linux: /proc/meminfo has it
  CHECK(*here > 0);
}

TEST_CASE("a campaign's references are counted per seed, all tasks kept and the largest run", "[hardware]") {
  std::map<std::string, task_def> tasks;
  tasks["a"] = task_of("a", {1000}, {1000});                         // 4000 + 4000 bytes per set
  tasks["b"] = task_of("b", {10}, {10});                             // 40 + 40
  tasks["kb"] = task_of("kb", {1 << 20}, {1 << 20}, "kernelbench");  // kept by its Python harness
  // kept: 8 x (8000 + 80); largest run: 8 x (3 x 4000 + 4 x 4000)
  CHECK(reference_memory_bytes(tasks, 8) == uint64_t{8} * 8080 + uint64_t{8} * 28000);
  tasks["huge"] = task_of("huge", {int64_t{1} << 30, int64_t{1} << 30}, {1});
  CHECK_FALSE(reference_memory_bytes(tasks, 8));
  CHECK(describe_bytes(uint64_t{3} << 29) == "1.5 GiB");
  CHECK(describe_bytes(300) == "300 bytes");
}

TEST_CASE("a task file whose shape overflows or exceeds free memory is refused at load", "[hardware]") {
  test::temp_dir dir;
  REQUIRE(load_with_shape(dir, "[8]"));
  SECTION("the element count overflows 64 bits") {
    auto t = load_with_shape(dir, "[4294967296, 4294967296]");
    REQUIRE_FALSE(t);
    CHECK(code_of(t.error()) == errc::bad_task);
    CHECK_THAT(describe(t.error()),
               Catch::Contains("task.toml:10") && Catch::Contains("more elements than a 64-bit count holds"));
  }
  SECTION("one set of the tensors is larger than the machine's available memory") {
    // 2^40 floats = 4 TiB: more than any machine this runs on has free.
    auto t = load_with_shape(dir, "[1048576, 1048576]");
    REQUIRE_FALSE(t);
    CHECK_THAT(describe(t.error()), Catch::Contains("task.toml:8") && Catch::Contains("4096.0 GiB") &&
                                        Catch::Contains("available memory (MemAvailable)"));
  }
  SECTION("a dimension beyond 64 bits is refused, not clamped") {
    auto t = load_with_shape(dir, "[99999999999999999999]");
    REQUIRE_FALSE(t);
    CHECK_THAT(describe(t.error()),
               Catch::Contains("task.toml:10") && Catch::Contains("does not fit in 64 bits"));
  }
}
