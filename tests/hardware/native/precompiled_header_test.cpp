#include "hardware/native/precompiled_header.hpp"

#include "hardware/native/cpu_backend.hpp"
#include "tests/support/prepared_task.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace kforge;
using namespace kforge::hardware;

namespace {

using sets = std::vector<std::vector<std::string>>;
using names = std::vector<std::string>;

// A backend that times little: these tests judge gates and builds, not speed.
cpu_backend_config quick_config(const std::filesystem::path& work, bool shared = true) {
  cpu_backend_config c;
  c.work_dir = work;
  c.min_runs = 4;
  c.max_runs = 10;
  c.target_ms = 5;
  c.flush_kib = 0;
  c.shared_objects = shared;
  return c;
}

bool has_include(const std::vector<std::string>& argv) {
  return std::find(argv.begin(), argv.end(), "-include") != argv.end();
}

}  // namespace

TEST_CASE("A source's included headers are read from its directives only", "[hardware]") {
  auto headers = included_headers(
      "// #include <vector>\n"
      "#include <cmath>\n"
      "  #  include <cstring> // spaces are fine\n"
      "const char* s = \"#include <map>\";\n"
      "#include <cmath>\n"
      "int x; /* #include <set> */\n"
      "#include <immintrin.h>\n");
  CHECK(headers == names{"cmath", "cstring", "immintrin.h"});
  CHECK(included_headers("int main;").empty());
}

TEST_CASE("The smallest header set that covers a source's heavy headers is picked", "[hardware]") {
  sets s = {{"cmath", "algorithm"}, {"cmath", "algorithm", "immintrin.h"}};
  CHECK(pick_header_set(s, {}) == -1);
  CHECK(pick_header_set(s, {"cstring", "cstdint"}) == -1);  // light headers only: no set
  CHECK(pick_header_set(s, {"cstring", "cmath"}) == 0);
  CHECK(pick_header_set(s, {"algorithm"}) == 0);
  CHECK(pick_header_set(s, {"immintrin.h"}) == 1);
  CHECK(pick_header_set(s, {"cmath", "immintrin.h", "cstdint"}) == 1);
  CHECK(pick_header_set({{"cmath"}, {"immintrin.h"}}, {"cmath", "immintrin.h"}) == -1);  // none covers both
  CHECK(pick_header_set({}, {"cmath"}) == -1);
  CHECK(header_set_text({"cmath", "algorithm"}).find("#include <algorithm>\n") != std::string::npos);
}

TEST_CASE("Kernels that include a precompiled header compile with it and keep their verdicts", "[hardware]") {
  test::prepared_task f{"pch", [](const std::filesystem::path& work) {
                          auto c = quick_config(work);
                          c.header_sets = {{"cmath", "algorithm"}};
                          if (std::filesystem::exists("/usr/bin/ld.gold"))
                            c.link_flags = {"-fuse-ld=gold"};
                          return c;
                        }};
  std::string with_cmath =
      "#include <cmath>\n"
      "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n"
      "  for (int i = 0; i < rows * cols; ++i) c[i] = std::fma(a[i], 1.0f, b[i]);\n}\n";
  std::string wrong =
      "#include <algorithm>\n"
      "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n"
      "  for (int i = 0; i < rows * cols; ++i) c[i] = std::max(a[i], b[i]);\n}\n";
  std::string plain =
      "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n"
      "  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];\n}\n";

  CHECK(has_include(f.backend.compile_argv(f.task, with_cmath)));
  CHECK(has_include(f.backend.compile_argv(f.task, wrong)));
  CHECK_FALSE(has_include(f.backend.compile_argv(f.task, plain)));

  for (const auto& [source, feasible] : {std::pair{with_cmath, true}, {wrong, false}, {plain, true}}) {
    auto v = f.backend.evaluate(f.task, source, "pch", f.reference);
    REQUIRE(v);
    CHECK(v->feasible == feasible);
    if (!feasible)
      CHECK(v->failed_gate == gate_correctness);
  }
}

TEST_CASE("A header set that cannot be precompiled is skipped, not fatal", "[hardware]") {
  test::prepared_task f{"pch-bad", [](const std::filesystem::path& work) {
                          auto c = quick_config(work);
                          c.header_sets = {{"no_such_header_kforge_test"}};
                          return c;
                        }};
  CHECK_FALSE(has_include(f.backend.compile_argv(f.task, "#include <no_such_header_kforge_test>\n")));
}

namespace {

// Objects kept for every task under `work`/objects.
std::size_t shared_objects_in(const std::filesystem::path& work) {
  std::size_t n = 0;
  std::error_code ec;
  if (!std::filesystem::exists(work / "objects", ec))
    return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(work / "objects"))
    n += e.path().extension() == ".o" ? 1U : 0U;
  return n;
}

}  // namespace

TEST_CASE("A source is compiled once and every task that builds it links the same object", "[hardware]") {
  test::prepared_task f{"objects",
                        [](const std::filesystem::path& work) { return quick_config(work, true); }};
  const auto work = f.work.path();
  CHECK(shared_objects_in(work) == 1);  // the reference's
  std::string plain =
      "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n"
      "  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i];\n}\n";
  auto first = f.backend.evaluate(f.task, plain, "first", f.reference);
  REQUIRE(first);
  CHECK(first->feasible);
  CHECK(shared_objects_in(work) == 2);
  auto again = f.backend.evaluate(f.task, plain, "again", f.reference);
  REQUIRE(again);
  CHECK(again->feasible);
  CHECK(shared_objects_in(work) == 2);  // linked from the object, not compiled again

  // Another task with the same reference: its preparation links the reference's object.
  auto other = f.task;
  other.id = "add_other";
  auto prepared = f.backend.prepare_task(other);
  REQUIRE(prepared);
  CHECK(shared_objects_in(work) == 2);

  // A wrong kernel keeps its verdict when its object is shared; one that does not compile keeps none.
  std::string wrong =
      "void add_rows(const float* a, const float* b, float* c, int rows, int cols) {\n"
      "  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] - b[i];\n}\n";
  for (const char* id : {"wrong-1", "wrong-2"}) {
    auto v = f.backend.evaluate(f.task, wrong, id, f.reference);
    REQUIRE(v);
    CHECK(v->failed_gate == gate_correctness);
  }
  auto broken = f.backend.evaluate(f.task, "void add_rows( {", "broken", f.reference);
  REQUIRE(broken);
  CHECK(broken->failed_gate == gate_compile);
  CHECK(shared_objects_in(work) == 3);
}

TEST_CASE("With shared_objects off every compile builds and links in one step and keeps no object",
          "[hardware]") {
  test::prepared_task f{"no-objects",
                        [](const std::filesystem::path& work) { return quick_config(work, false); }};
  auto v = f.backend.evaluate(f.task, f.task.reference_source, "ref-as-candidate", f.reference);
  REQUIRE(v);
  CHECK(v->feasible);
  CHECK(shared_objects_in(f.work.path()) == 0);
}
