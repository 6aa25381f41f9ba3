// The kforge command line as a user meets it: exit codes and messages.

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace kforge;

namespace {

std::string write(const test::temp_dir& dir, const std::string& name, const std::string& text) {
  auto path = dir.path() / name;
  std::ofstream{path} << text;
  return path.string();
}

}  // namespace

TEST_CASE("a bad config stops kforge before anything starts, naming file and line", "[runtime]") {
  test::temp_dir dir{"cli"};
  auto cfg =
      write(dir, "bad.toml", "[campaign]\nname = \"x\"\ntasks = [\"*.toml\"]\n[budget]\nevaluation = 3\n");
  std::string out;
  CHECK(test::run_to_end({KFORGE_BINARY, "run", cfg}, out) == 2);
  CHECK_THAT(out, Catch::Contains(cfg + ":5: unknown key 'evaluation' in [budget]"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / ".kforge"));
  SECTION("a task glob that matches nothing is an error too") {
    auto empty = write(dir, "empty.toml", "[campaign]\nname = \"x\"\ntasks = [\"nothing/*.toml\"]\n");
    CHECK(test::run_to_end({KFORGE_BINARY, "run", empty}, out) == 2);
    CHECK_THAT(out, Catch::Contains("nothing/*.toml"));
  }
}

TEST_CASE("status and resume report a finished campaign from the store alone", "[runtime]") {
  test::temp_dir dir{"cli"};
  auto cfg = write(dir, "c.toml",
                   std::string{"[campaign]\nname = \"tiny\"\ntasks = [\""} + KFORGE_SOURCE_DIR +
                       "/configs/tasks/cpu/row_sum_256x2048.toml\"]\n[budget]\nevaluations_per_task = 2\n"
                       "[verifier]\nmin_runs = 3\nmax_runs = 5\ntarget_ms = 5\n[store]\npath = \"s\"\n");
  std::string out;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("campaign tiny: finished"));
  CHECK_THAT(out, Catch::Contains("geomean speedup over the references"));
  auto store = (dir.path() / "s").string();

  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", store}, out) == 0);
  CHECK_THAT(out, Catch::Contains("row_sum_256x2048"));
  CHECK_THAT(out, Catch::Contains("2 evaluations in total"));

  CHECK(test::run_to_end({KFORGE_BINARY, "resume", "--store", store}, out) == 2);
  CHECK_THAT(out, Catch::Contains("no unfinished campaign"));

  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", (dir.path() / "nope").string()}, out) == 2);
  CHECK_THAT(out, Catch::Contains("no store at"));
}

TEST_CASE("the daemon refuses a bad setup before it starts, saying why", "[runtime]") {
  test::temp_dir dir{"cli"};
  std::string out;
  CHECK(test::run_to_end({KFORGE_BINARY, "daemon", "--store", (dir.path() / "s").string()}, out) == 2);
  CHECK_THAT(out, Catch::Contains("no campaign file or directory"));
  std::filesystem::create_directories(dir.path() / "camps");
  const std::vector<std::string> open_to_all{KFORGE_BINARY, "daemon",
                                             "--config",    (dir.path() / "camps").string(),
                                             "--store",     (dir.path() / "s").string(),
                                             "--listen",    "0.0.0.0"};
  ::unsetenv("KFORGE_API_TOKEN");
  CHECK(test::run_to_end(open_to_all, out) == 2);
  CHECK_THAT(out, Catch::Contains("needs an API token"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "s"));
  auto bad = write(dir, "d.toml", "[daemon]\nport = \"eighty\"\n");
  CHECK(test::run_to_end({KFORGE_BINARY, "daemon", "--daemon-config", bad}, out) == 2);
  CHECK_THAT(out, Catch::Contains(bad + ":2: key 'port' has the wrong type"));
}
