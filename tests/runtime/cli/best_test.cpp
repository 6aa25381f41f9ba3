// kforge best: the winning kernels of a finished campaign, written out as files.

#include "tests/support/campaign_view.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

using namespace kforge;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f{p, std::ios::binary};
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

}  // namespace

TEST_CASE("kforge best writes each task's best source and a summary with its speedup", "[runtime][best]") {
  test::temp_dir dir{"best"};
  auto cfg = dir.write("c.toml",
                       std::string{"[campaign]\nname = \"tiny\"\ntasks = [\""} + KFORGE_SOURCE_DIR +
                           "/configs/tasks/cpu/row_sum_256x2048.toml\"]\n[budget]\nevaluations_per_task = 4\n"
                           "[policy]\nkind = \"offline\"\n[verifier]\nmin_runs = 3\nmax_runs = 5\n"
                           "target_ms = 5\nseeds = 2\nfinal_rounds = 0\n[machine]\nmeasure = false\n"
                           "[store]\npath = \"s\"\n");
  std::string out;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == 0);
  const auto store = (dir.path() / "s").string();
  auto view = test::read_campaign(store, "tiny");
  REQUIRE(view.tasks.size() == 1);
  const auto& task = view.tasks.front();
  REQUIRE_FALSE(task.best_hash.empty());
  const auto& best = view.candidates.at(task.best_hash);
  const auto home = (dir.path() / "home").string();

  REQUIRE(test::run_to_end({KFORGE_BINARY, "best", "--store", store, "--out", home}, out) == 0);
  const auto kernel = dir.path() / "home" / "tiny" / (task.task_id + ".cpp");
  REQUIRE(std::filesystem::exists(kernel));
  CHECK(slurp(kernel) == best.source);
  const auto summary = slurp(dir.path() / "home" / "tiny" / "SUMMARY.md");
  char speedup[64];
  std::snprintf(speedup, sizeof speedup, "%.3gx", task.reference_latency_ns / task.best_latency_ns);
  CHECK_THAT(summary, Catch::Contains("| " + task.task_id + " |") && Catch::Contains(speedup) &&
                          Catch::Contains(best.hash) && Catch::Contains("passed"));
  CHECK_THAT(out, Catch::Contains(summary));

  // The lineage depth: first-parent hops from the best back to its draft.
  int depth = 0;
  for (auto at = best; at.stage != "draft" && !at.parents.empty();
       at = view.candidates.at(at.parents.front()))
    ++depth;
  CHECK_THAT(summary, Catch::Contains("| " + std::to_string(depth) + " | " + best.hash));

  // An existing, non-empty output folder is refused without --force.
  {
    CHECK(test::run_to_end({KFORGE_BINARY, "best", "--store", store, "--out", home}, out) == 2);
    CHECK_THAT(out, Catch::Contains("is not empty; pass --force"));
    std::ofstream{kernel} << "stale";
    CHECK(test::run_to_end({KFORGE_BINARY, "best", "--store", store, "--out", home, "--force"}, out) == 0);
    CHECK(slurp(kernel) == best.source);
  }
  // An unknown campaign exits 2.
  {
    CHECK(test::run_to_end({KFORGE_BINARY, "best", "--store", store, "--campaign", "nope", "--out",
                            (dir.path() / "other").string()},
                           out) == 2);
    CHECK_THAT(out, Catch::Contains("no campaign named nope"));
    CHECK_FALSE(std::filesystem::exists(dir.path() / "other"));
  }
  // --json names the candidate and the file.
  {
    CHECK(test::run_to_end(
              {KFORGE_BINARY, "best", "--store", store, "--out", (dir.path() / "j").string(), "--json"},
              out) == 0);
    CHECK_THAT(out, Catch::Contains("\"hash\": \"" + best.hash + "\"") &&
                        Catch::Contains((dir.path() / "j" / "tiny" / (task.task_id + ".cpp")).string()));
  }
}
