// `kforge status` tells a live campaign from an interrupted one by its owner lock, a second run of
// a running campaign is refused, unknown campaign names exit 2, a campaign where every task failed
// exits 3 and an unreadable store 5 (README, "Exit codes").

#include "runtime/cli/exit_codes.hpp"

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <string>

using namespace kforge;
using namespace kforge::runtime;

namespace {

// A campaign over one CPU task with the fastest verifier settings; `extra` is appended.
std::string campaign(const std::string& name, const std::string& task, int64_t evaluations) {
  return "[campaign]\nname = \"" + name + "\"\ntasks = [\"" + task +
         "\"]\n[budget]\nevaluations_per_task = " + std::to_string(evaluations) +
         "\nplateau = 0\n[verifier]\nseeds = 2\nmin_runs = 3\nmax_runs = 5\ntarget_ms = 5\nfinal_rounds = 0\n"
         "[store]\npath = \"s\"\n[machine]\nmeasure = false\n";
}

}  // namespace

TEST_CASE("status tells a running campaign from an interrupted one, and a second run is refused",
          "[runtime][cli]") {
  test::temp_dir dir{"owner"};
  auto task = std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/row_sum_256x2048.toml";
  auto cfg = dir.write("live.toml", campaign("live", task, 100000));
  auto store = (dir.path() / "s").string();
  std::string out;
  {
    test::child_process run{{KFORGE_BINARY, "--log-level", "info", "run", cfg, "--no-progress"}};
    run.read_until("candidate verified");

    CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", store}, out) == exit_ok);
    CHECK_THAT(out, Catch::Contains("campaign live: running (owned by process "));
    CHECK_THAT(out, !Catch::Contains("resume with"));
    CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", store, "--json"}, out) == exit_ok);
    CHECK_THAT(out, Catch::Contains("\"state\":\"running\"") && Catch::Contains("\"owner_pid\":"));

    CHECK(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == exit_failure);
    CHECK_THAT(out, Catch::Contains("campaign live is already running in process "));

    CHECK(run.stop(SIGKILL) == 128 + SIGKILL);
  }
  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", store}, out) == exit_ok);
  CHECK_THAT(out, Catch::Contains("campaign live: interrupted (no process owns it"));
  CHECK_THAT(out, Catch::Contains("resume with: kforge resume --store " + store));
  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", store, "--json"}, out) == exit_ok);
  CHECK_THAT(out, Catch::Contains("\"state\":\"interrupted\"") && Catch::Contains("\"owner_pid\":null") &&
                      Catch::Contains("\"stored_status\":\"running\"") &&
                      Catch::Contains("\"task_records\":["));

  // An unknown campaign name exits 2 for every command that takes one.
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"status", "--store", store, "--campaign", "nope"},
                                             {"export", "--store", store, "--campaign", "nope"},
                                             {"llm", "calls", "--store", store, "--campaign", "nope"},
                                             {"resume", "--store", store, "--campaign", "nope"}}) {
    std::vector<std::string> argv{KFORGE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    INFO(args[0]);
    CHECK(test::run_to_end(argv, out) == exit_usage);
    CHECK_THAT(out, Catch::Contains("no campaign named nope"));
  }
}

TEST_CASE("a campaign in which every task failed exits 3", "[runtime][cli]") {
  test::temp_dir dir{"owner"};
  // A task whose reference does not compile: the task ends at once, with nothing feasible.
  dir.write("broken.cpp", "void row_sum(const float* x, float* y) { this is not C++ }\n");
  dir.write("broken.toml",
            "id = \"broken\"\nfamily = \"reduction\"\nbackend = \"cpu\"\n"
            "signature = \"void row_sum(const float* x, float* y)\"\ncall = \"row_sum(x, y)\"\n"
            "reference = \"broken.cpp\"\ntemplate = \"broken.cpp\"\n"
            "[[inputs]]\nname = \"x\"\nshape = [4, 8]\n[[outputs]]\nname = \"y\"\nshape = [4]\n");
  auto cfg = dir.write("c.toml", campaign("broken", (dir.path() / "broken.toml").string(), 2));
  std::string out;
  CHECK(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == exit_nothing_achieved);
  CHECK_THAT(out, Catch::Contains("no task has a feasible candidate"));
}

TEST_CASE("a store that does not open exits 5", "[runtime][cli]") {
  test::temp_dir dir{"owner"};
  std::filesystem::create_directories(dir.path() / "s");
  dir.write("s/data.mdb", std::string(16384, 'x'));
  std::string out;
  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", (dir.path() / "s").string()}, out) ==
        exit_store);
  CHECK(test::run_to_end({KFORGE_BINARY, "export", "--store", (dir.path() / "s").string()}, out) ==
        exit_store);
}
