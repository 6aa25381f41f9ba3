// The kforge command line as a user meets it: exit codes and messages.

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <string>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace kforge;

TEST_CASE("a bad config stops kforge before anything starts, naming file and line", "[runtime]") {
  test::temp_dir dir{"cli"};
  auto cfg =
      dir.write("bad.toml", "[campaign]\nname = \"x\"\ntasks = [\"*.toml\"]\n[budget]\nevaluation = 3\n");
  std::string out;
  CHECK(test::run_to_end({KFORGE_BINARY, "run", cfg}, out) == 2);
  CHECK_THAT(out, Catch::Contains(cfg + ":5: unknown key 'evaluation' in [budget]"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / ".kforge"));
  SECTION("a task glob that matches nothing is an error too") {
    auto empty = dir.write("empty.toml", "[campaign]\nname = \"x\"\ntasks = [\"nothing/*.toml\"]\n");
    CHECK(test::run_to_end({KFORGE_BINARY, "run", empty}, out) == 2);
    CHECK_THAT(out, Catch::Contains("nothing/*.toml"));
  }
}

TEST_CASE("status and resume report a finished campaign from the store alone", "[runtime]") {
  test::temp_dir dir{"cli"};
  auto cfg = dir.write("c.toml",
                       std::string{"[campaign]\nname = \"tiny\"\ntasks = [\""} + KFORGE_SOURCE_DIR +
                           "/configs/tasks/cpu/row_sum_256x2048.toml\"]\n[budget]\nevaluations_per_task = 2\n"
                           "[verifier]\nmin_runs = 3\nmax_runs = 5\ntarget_ms = 5\nseeds = 2\nfinal_rounds = "
                           "0\n[store]\npath = \"s\"\n");
  std::string out;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("campaign tiny: finished"));
  CHECK_THAT(out, Catch::Contains("geomean speedup over the references"));
  auto store = (dir.path() / "s").string();

  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", store}, out) == 0);
  CHECK_THAT(out, Catch::Contains("row_sum_256x2048"));
  CHECK_THAT(out, Catch::Contains("2 evaluations in total"));

  // Like `run` of a finished campaign: nothing left to do is no error.
  CHECK(test::run_to_end({KFORGE_BINARY, "resume", "--store", store}, out) == 0);
  CHECK_THAT(out, Catch::Contains("nothing to resume: campaign tiny is finished"));
  CHECK(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("already finished"));

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
  auto not_an_ip = open_to_all;
  not_an_ip.back() = "not-an-ip";
  CHECK(test::run_to_end(not_an_ip, out) == 2);
  CHECK_THAT(out,
             Catch::Contains("listen address 'not-an-ip' is not an IP address") && !Catch::Contains("token"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "s"));
  auto bad = dir.write("d.toml", "[daemon]\nport = \"eighty\"\n");
  CHECK(test::run_to_end({KFORGE_BINARY, "daemon", "--daemon-config", bad}, out) == 2);
  CHECK_THAT(out, Catch::Contains(bad + ":2: key 'port' must be an integer, not a string"));
}

TEST_CASE("memory inspect and export list the items a campaign learned and snapshot copies the store",
          "[runtime]") {
  test::temp_dir dir{"cli"};
  auto cfg = dir.write("m.toml",
                       std::string{"[campaign]\nname = \"mem\"\ntasks = [\""} + KFORGE_SOURCE_DIR +
                           "/configs/tasks/cpu/row_sum_256x2048.toml\"]\n[budget]\nevaluations_per_task = 4\n"
                           "[verifier]\nmin_runs = 3\nmax_runs = 5\ntarget_ms = 5\nseeds = 2\nfinal_rounds = "
                           "0\n[store]\npath = \"s\"\n"
                           "[machine]\nworking_sets_kib = [64]\nstream_ms = 2\nfma_ms = 5\n");
  std::string out;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("roofline: measured in"));
  auto store = (dir.path() / "s").string();

  // The peaks are cached in the store: a second run does not measure again.
  auto cfg2 = dir.write(
      "m2.toml", std::string{"[campaign]\nname = \"mem2\"\ntasks = [\""} + KFORGE_SOURCE_DIR +
                     "/configs/tasks/cpu/row_sum_256x2048.toml\"]\n[budget]\nevaluations_per_task = 1\n"
                     "[verifier]\nmin_runs = 3\nmax_runs = 5\ntarget_ms = 5\nseeds = 2\nfinal_rounds = "
                     "0\n[store]\npath = \"s\"\n"
                     "[machine]\nworking_sets_kib = [64]\nstream_ms = 2\nfma_ms = 5\n");
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", cfg2, "--no-progress"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("roofline: cached peaks"));

  REQUIRE(test::run_to_end({KFORGE_BINARY, "memory", "inspect", "--store", store}, out) == 0);
  CHECK_THAT(out, Catch::Contains("memory items: "));
  CHECK_THAT(out, Catch::Contains("Q1"));
  CHECK_THAT(out, Catch::Contains("reduction"));

  auto jsonl = (dir.path() / "mem.jsonl").string();
  REQUIRE(test::run_to_end({KFORGE_BINARY, "memory", "export", "--store", store, "--out", jsonl}, out) == 0);
  std::ifstream in{jsonl};
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    CHECK(line.front() == '{');
    CHECK_THAT(line, Catch::Contains("\"q1\":"));
  }
  CHECK(lines > 0);

  REQUIRE(test::run_to_end({KFORGE_BINARY, "export", "--store", store, "--campaign", "mem"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("\"task_id\":\"row_sum_256x2048\""));

  auto snap = (dir.path() / "snap").string();
  REQUIRE(test::run_to_end({KFORGE_BINARY, "snapshot", snap, "--store", store}, out) == 0);
  REQUIRE(test::run_to_end({KFORGE_BINARY, "memory", "inspect", "--store", snap, "--limit", "0"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("reduction"));
  CHECK(test::run_to_end({KFORGE_BINARY, "snapshot", snap, "--store", store}, out) == 2);  // not empty
  CHECK(test::run_to_end({KFORGE_BINARY, "memory", "inspect", "--store", (dir.path() / "no").string()},
                         out) == 2);
}

TEST_CASE("a snapshot taken while a campaign runs in another process opens and warms a new campaign",
          "[runtime]") {
  test::temp_dir dir{"cli"};
  auto task = std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/row_sum_256x2048.toml";
  auto common = std::string{
      "[verifier]\nmin_runs = 3\nmax_runs = 5\ntarget_ms = 5\nseeds = 2\nfinal_rounds = 0\n"
      "[machine]\nworking_sets_kib = [64]\nstream_ms = 2\nfma_ms = 5\n"};
  auto cfg =
      dir.write("r.toml", "[campaign]\nname = \"live\"\ntasks = [\"" + task +
                              "\"]\n[budget]\nevaluations_per_task = 8\n[store]\npath = \"s\"\n" + common);
  auto store = (dir.path() / "s").string();
  auto snap = (dir.path() / "snap").string();
  test::child_process run{{KFORGE_BINARY, "--log-level", "debug", "run", cfg, "--no-progress"}};
  // Synchronise on the first commit that wrote memory items (the curator's line after its commit:
  // "candidate verified" comes before it), then copy while the campaign goes on.
  bool seen = false;
  while (auto line = run.read_line()) {
    auto items = line->find(" items=");
    if (line->find("kforge.curator committed events=") != std::string::npos && items != std::string::npos &&
        std::stoll(line->substr(items + 7)) > 0) {
      seen = true;
      break;
    }
  }
  REQUIRE(seen);
  std::string out;
  CHECK(test::run_to_end({KFORGE_BINARY, "snapshot", snap, "--store", store}, out) == 0);
  while (run.read_line()) {
  }
  CHECK(run.wait() == 0);
  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", snap}, out) == 0);
  CHECK_THAT(out, Catch::Contains("row_sum_256x2048"));

  // A new campaign in a new store starts from the snapshot's memory items.
  auto warm =
      dir.write("w.toml", "[campaign]\nname = \"warm\"\ntasks = [\"" + task +
                              "\"]\n[budget]\nevaluations_per_task = 1\n[store]\npath = \"w\"\n" + common);
  auto warm_code =
      test::run_to_end({KFORGE_BINARY, "run", warm, "--no-progress", "--memory-from", snap}, out);
  INFO(out);
  REQUIRE(warm_code == 0);
  CHECK_THAT(out, Catch::Contains("items imported") && !Catch::Contains(": 0 items imported"));
  CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", (dir.path() / "w").string()}, out) == 0);
  CHECK_THAT(out, Catch::Contains("warm"));
  CHECK_THAT(out, !Catch::Contains("live"));
}
