// The exit codes of kforge's commands (README, "Exit codes"): usage errors exit 2 whatever CLI11
// calls them, --version and --help exit 0, and a run's end maps to one code.

#include "runtime/cli/exit_codes.hpp"

#include "tests/support/child_process.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace kforge;
using namespace kforge::runtime;

namespace {

actors::task_progress task_with(int64_t feasible) {
  actors::task_progress t;
  t.task_id = "t";
  t.feasible = feasible;
  return t;
}

}  // namespace

TEST_CASE("the end of a run maps to one exit code", "[runtime][cli]") {
  actors::campaign_progress p;
  p.status = "finished";
  p.tasks = {task_with(1), task_with(0)};
  CHECK(run_exit_code(p, false) == exit_ok);
  SECTION("every task failed: nothing achieved") {
    p.tasks = {task_with(0), task_with(0)};
    CHECK(run_exit_code(p, false) == exit_nothing_achieved);
  }
  SECTION("stopped by a signal: interrupted, whatever it achieved") {
    p.status = "stopped";
    CHECK(run_exit_code(p, true) == exit_interrupted);
    p.tasks = {task_with(0)};
    CHECK(run_exit_code(p, true) == exit_interrupted);
  }
  SECTION("stopped by its LLM budget: a finish like any other") {
    p.status = "stopped";
    CHECK(run_exit_code(p, false) == exit_ok);
  }
  SECTION("the model stayed unreachable") {
    p.status = "stopped";
    p.unreachable_since_ms = 1;
    CHECK(run_exit_code(p, false) == exit_interrupted);
  }
  SECTION("failed") {
    p.status = "failed";
    CHECK(run_exit_code(p, false) == exit_failure);
  }
  CHECK(exit_code_of_error(make_error(errc::store_corrupt, "x")) == exit_store);
  CHECK(exit_code_of_error(make_error(errc::bad_config, "x")) == exit_usage);
  CHECK(exit_code_of_error(make_error(errc::io_failed, "x")) == exit_failure);
}

TEST_CASE("usage errors exit 2 with CLI11's message; --version and --help exit 0", "[runtime][cli]") {
  std::string out;
  struct usage_case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<usage_case>{
           {{}, "A subcommand is required"},
           {{"bogus"}, "unknown command 'bogus'"},
           {{"--log-level", "info", "bogus", "--x"}, "unknown command 'bogus'"},
           {{"run"}, "config is required"},
           {{"run", "/nonexistent/c.toml"}, "File does not exist"},
           {{"status"}, "--store is required"},
           {{"status", "--store", "s", "--bogus"}, "--bogus"},
           {{"memory", "inspect", "--store", "s", "--kind", "bogus"}, "bogus not in {"},
           {{"memory", "inspect", "--store", "s", "--sort", "bogus"}, "bogus not in {"},
       }) {
    std::vector<std::string> argv{KFORGE_BINARY};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    INFO(Catch::Detail::stringify(c.args));
    CHECK(test::run_to_end(argv, out) == exit_usage);
    CHECK_THAT(out, Catch::Contains(c.says));
  }
  CHECK(test::run_to_end({KFORGE_BINARY, "--version"}, out) == exit_ok);
  CHECK_THAT(out, Catch::StartsWith("kforge ") && Catch::Contains("."));
  CHECK(test::run_to_end({KFORGE_BINARY, "--help"}, out) == exit_ok);
  CHECK_THAT(out, Catch::Contains("Subcommands:"));
}
