#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/task.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

const std::filesystem::path task_data_dir = std::filesystem::path{KFORGE_SOURCE_DIR} / "tests/hardware/data";

// A valid task file whose lines can be edited by the tests; line numbers below refer to it.
const std::string good_task =
    "id = \"t1\"\n"                                       // 1
    "family = \"add\"\n"                                  // 2
    "backend = \"cpu\"\n"                                 // 3
    "signature = \"void f(const float* x, float* y)\"\n"  // 4
    "call = \"f(x, y)\"\n"                                // 5
    "reference = \"ref.cpp\"\n"                           // 6
    "template = \"ref.cpp\"\n"                            // 7
    "[[inputs]]\n"                                        // 8
    "name = \"x\"\n"                                      // 9
    "shape = [8]\n"                                       // 10
    "[[outputs]]\n"                                       // 11
    "name = \"y\"\n"                                      // 12
    "shape = [8]\n";                                      // 13

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary};
  out << text;
}

std::string replace_line(std::string text, int line, const std::string& with) {
  std::size_t begin = 0;
  for (int i = 1; i < line; ++i)
    begin = text.find('\n', begin) + 1;
  auto end = text.find('\n', begin);
  return text.replace(begin, end - begin, with);
}

// Writes `text` as a task file beside a reference source and loads it; returns the error text.
std::string load_error(const test::temp_dir& dir, const std::string& text) {
  write_file(dir.path() / "ref.cpp", "void f(const float* x, float* y) {}\n");
  auto file = dir.path() / "task.toml";
  write_file(file, text);
  auto task = load_task(file);
  if (task)
    return "loaded without error";
  CHECK(code_of(task.error()) == errc::bad_task);
  return describe(task.error());
}

}  // namespace

TEST_CASE("A good task file loads with every field", "[hardware]") {
  auto task = load_task(task_data_dir / "add_4x250.toml");
  REQUIRE(task);
  CHECK(task->id == "add_4x250");
  CHECK(task->family == "add");
  CHECK(task->backend == "cpu");
  CHECK(task->call == "add_rows(a, b, c, 4, 250)");
  CHECK(task->flops == 1000);
  CHECK(task->atol == 1e-6);
  REQUIRE(task->inputs.size() == 2);
  CHECK(task->inputs[0].init == "normal");
  CHECK(task->inputs[1].init == "uniform");
  CHECK(task->inputs[1].lo == 0.0);
  CHECK(task->inputs[1].hi == 2.0);
  CHECK(task->inputs[0].elements() == 1000);
  REQUIRE(task->outputs.size() == 1);
  CHECK(task->outputs[0].shape == std::vector<int64_t>{4, 250});
  REQUIRE(task->knobs.size() == 2);
  CHECK(task->knobs[0].name == "STEP");  // knobs are kept in name order
  CHECK(task->knobs[1].values == std::vector<int64_t>{1, 2, 4});
  CHECK(task->reference_source.find("c[i] = a[i] + b[i]") != std::string::npos);
  CHECK(task->definition_hash.size() == 64);
  CHECK(load_task(task_data_dir / "add_4x250.toml")->definition_hash == task->definition_hash);
}

TEST_CASE("The definition hash changes with the semantics and the sources", "[hardware]") {
  test::temp_dir dir{"task"};
  write_file(dir.path() / "ref.cpp", "void f(const float* x, float* y) {}\n");
  write_file(dir.path() / "a.toml", good_task);
  write_file(dir.path() / "b.toml", replace_line(good_task, 10, "shape = [9]"));
  write_file(dir.path() / "c.toml", "description = \"words only\"\n" + good_task);
  auto a = load_task(dir.path() / "a.toml");
  auto b = load_task(dir.path() / "b.toml");
  auto c = load_task(dir.path() / "c.toml");
  REQUIRE((a && b && c));
  CHECK(a->definition_hash != b->definition_hash);
  CHECK(a->definition_hash == c->definition_hash);
  // max_rel_error at its default keeps the hash of a file without it; another value changes it.
  write_file(dir.path() / "d.toml", "max_rel_error = 0.001\n" + good_task);
  write_file(dir.path() / "e.toml", "max_rel_error = 0.01\n" + good_task);
  auto d = load_task(dir.path() / "d.toml");
  auto e = load_task(dir.path() / "e.toml");
  REQUIRE((d && e));
  CHECK(d->definition_hash == a->definition_hash);
  CHECK(e->definition_hash != a->definition_hash);
  CHECK(e->max_rel_error == 0.01);
  write_file(dir.path() / "ref.cpp", "void f(const float* x, float* y) { y[0] = x[0]; }\n");
  CHECK(load_task(dir.path() / "a.toml")->definition_hash != a->definition_hash);
}

TEST_CASE("The reference hash outlives edits of the knobs, the template and the tolerances", "[hardware]") {
  test::temp_dir dir{"task"};
  write_file(dir.path() / "ref.cpp", "void f(const float* x, float* y) {}\n");
  write_file(dir.path() / "tmpl.cpp", "void f(const float* x, float* y) { /* V */ }\n");
  const auto task = replace_line(good_task, 7, "template = \"tmpl.cpp\"");
  write_file(dir.path() / "a.toml", task + "[knobs]\nV = [1, 2]\n");
  write_file(dir.path() / "knobs.toml", task + "[knobs]\nV = [1, 2, 4]\n");
  write_file(dir.path() / "atol.toml", "atol = 0.5\nflops = 99\n" + task + "[knobs]\nV = [1, 2]\n");
  write_file(dir.path() / "shape.toml", replace_line(task, 10, "shape = [9]") + "[knobs]\nV = [1, 2]\n");
  auto a = load_task(dir.path() / "a.toml");
  auto knobs = load_task(dir.path() / "knobs.toml");
  auto atol = load_task(dir.path() / "atol.toml");
  auto shape = load_task(dir.path() / "shape.toml");
  REQUIRE((a && knobs && atol && shape));
  CHECK(a->reference_hash.size() == 64);
  CHECK(a->reference_hash != a->definition_hash);
  for (const auto* edited : {&*knobs, &*atol}) {
    CHECK(edited->definition_hash != a->definition_hash);
    CHECK(edited->reference_hash == a->reference_hash);
  }
  CHECK(shape->reference_hash != a->reference_hash);
  write_file(dir.path() / "tmpl.cpp", "void f(const float* x, float* y) { /* V, edited */ }\n");
  auto templ = load_task(dir.path() / "a.toml");
  REQUIRE(templ);
  CHECK(templ->definition_hash != a->definition_hash);
  CHECK(templ->reference_hash == a->reference_hash);
  write_file(dir.path() / "ref.cpp", "void f(const float* x, float* y) { y[0] = x[0]; }\n");
  CHECK(load_task(dir.path() / "a.toml")->reference_hash != a->reference_hash);
}

TEST_CASE("Task file errors name the file, the line and the problem", "[hardware]") {
  test::temp_dir dir{"task"};
  auto file = (dir.path() / "task.toml").string();
  SECTION("a syntax error") {
    auto err = load_error(dir, replace_line(good_task, 10, "shape = [8,"));
    CHECK_THAT(err, Catch::StartsWith("bad_task: " + file + ":11: "));
  }
  SECTION("an unknown key") {
    auto err = load_error(dir, replace_line(good_task, 12, "nmae = \"y\""));
    CHECK(err == "bad_task: " + file + ":12: unknown key 'nmae' in outputs[0]");
    err = load_error(dir, "speed = 3\n" + good_task);
    CHECK(err == "bad_task: " + file + ":1: unknown key 'speed'");
  }
  SECTION("a wrong type") {
    auto err = load_error(dir, replace_line(good_task, 10, "shape = \"8\""));
    CHECK(err ==
          "bad_task: " + file + ":10: inputs[0]: 'shape' must be a non-empty array of positive integers");
    err = load_error(dir, replace_line(good_task, 1, "id = 7"));
    CHECK(err == "bad_task: " + file + ":1: 'id' must be a string, not an integer");
  }
  SECTION("a missing reference file") {
    auto err = load_error(dir, replace_line(good_task, 6, "reference = \"missing.cpp\""));
    CHECK_THAT(err, Catch::StartsWith("bad_task: " + file + ":6: cannot read reference file"));
    CHECK_THAT(err, Catch::Contains("missing.cpp"));
  }
  SECTION("bad values") {
    CHECK_THAT(load_error(dir, replace_line(good_task, 1, "id = \"Bad-Id\"")),
               Catch::Contains(":1: 'id' must match"));
    CHECK_THAT(load_error(dir, replace_line(good_task, 10, "shape = []")),
               Catch::Contains(":10: inputs[0]: 'shape'"));
    CHECK_THAT(load_error(dir, replace_line(good_task, 10, "shape = [8, 0]")), Catch::Contains(":10: "));
    CHECK_THAT(load_error(dir, replace_line(good_task, 9, "name = \"2x\"")),
               Catch::Contains(":9: inputs[0]: 'name'"));
    CHECK_THAT(load_error(dir, replace_line(good_task, 10, "shape = [8]\ninit = \"gauss\"")),
               Catch::Contains(":11: inputs[0]: unknown init \"gauss\""));
    CHECK_THAT(load_error(dir, good_task + "[knobs]\nV = []\n"), Catch::Contains(":15: knob 'V' must be"));
    CHECK_THAT(load_error(dir, replace_line(good_task, 5, "")), Catch::EndsWith("missing key 'call'"));
    CHECK_THAT(load_error(dir, replace_line(good_task, 12, "name = \"x\"")), Catch::Contains("used twice"));
    CHECK_THAT(load_error(dir, "max_rel_error = -1\n" + good_task),
               Catch::Contains(":1: 'max_rel_error' must be a finite number >= 0"));
    CHECK_THAT(load_error(dir, "max_rel_error = 2\n" + good_task),
               Catch::EndsWith("max_rel_error must be a number from 0 (off) to 1"));
  }
}

TEST_CASE("Task globs load every match sorted by id and reject an empty match", "[hardware]") {
  auto tasks = load_tasks(task_data_dir, {"*.toml", "add_*.toml"});
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 1);
  CHECK(tasks->front().id == "add_4x250");
  auto none = load_tasks(task_data_dir, {"nothing_*.toml"});
  REQUIRE_FALSE(none);
  CHECK(code_of(none.error()) == errc::bad_config);
  CHECK_THAT(describe(none.error()), Catch::Contains("nothing_*.toml"));
}

TEST_CASE("Tasks with the same id are rejected", "[hardware]") {
  test::temp_dir dir{"task"};
  write_file(dir.path() / "ref.cpp", "void f(const float* x, float* y) {}\n");
  write_file(dir.path() / "a.toml", good_task);
  write_file(dir.path() / "b.toml", good_task);
  auto tasks = load_tasks(dir.path(), {"*.toml"});
  REQUIRE_FALSE(tasks);
  CHECK_THAT(describe(tasks.error()), Catch::Contains("duplicate task id 't1'"));
}

TEST_CASE("A template renders with one define per knob setting", "[hardware]") {
  task_def task;
  task.template_source = "int x = A + B;\n";
  CHECK(render_template(task, {{"A", 4}, {"B", -1}}) == "#define A 4\n#define B -1\nint x = A + B;\n");
}

// 200 files are parsed on several threads: the tasks still come back by id, each its own, and of
// two bad files the error names the first in the glob's (file name) order, on every load.
TEST_CASE("A catalogue of hundreds of files loads in parallel and reports its first bad file",
          "[hardware][tasks]") {
  test::temp_dir dir;
  write_file(dir.path() / "ref.cpp", "void f(const float* x, float* y) {}\n");
  for (int i = 0; i < 200; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "t%03d", i);
    write_file(dir.path() / (std::string{name} + ".toml"),
               replace_line(good_task, 1, "id = \"" + std::string{name} + "\""));
  }
  auto tasks = load_tasks(dir.path(), {"*.toml"});
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 200);
  for (int i = 0; i < 200; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "t%03d", i);
    CHECK((*tasks)[static_cast<std::size_t>(i)].id == name);
  }
  write_file(dir.path() / "t150.toml", replace_line(good_task, 2, "family = 7"));
  write_file(dir.path() / "t040.toml", replace_line(good_task, 3, "backend = 7"));
  for (int round = 0; round < 3; ++round) {
    auto bad = load_tasks(dir.path(), {"*.toml"});
    REQUIRE_FALSE(bad);
    CHECK(code_of(bad.error()) == errc::bad_task);
    CHECK_THAT(describe(bad.error()), Catch::Contains("t040.toml"));
  }
}
