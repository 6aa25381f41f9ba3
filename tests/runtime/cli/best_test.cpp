// kforge best: the winning kernels of a finished campaign, written out as files.

#include "runtime/base/hash.hpp"
#include "tests/support/campaign_view.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/temp_store.hpp"

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

memory::candidate_record candidate(char id, int64_t seq, const std::string& parent) {
  memory::candidate_record c;
  c.hash = std::string(64, id);
  c.campaign = "a";
  c.task_id = "kb";
  c.seq = seq;
  c.stage = parent.empty() ? "draft" : "refine";
  if (!parent.empty())
    c.parents = {parent};
  c.source = std::string{"class ModelNew:  # "} + id + "\n";
  c.verdict.feasible = true;
  c.verdict.timing.median_ns = 1000.0 / static_cast<double>(seq + 1);
  c.verdict.timing.count = 5;
  return c;
}

// Campaign "a": task "kb" (KernelBench) whose best is two refines away from its draft, and task
// "none" with no feasible candidate. Campaign "b": one task with none.
void write_two_campaigns(memory::store& st) {
  auto tx = st.write();
  REQUIRE(tx);
  for (const char* id : {"a", "b"}) {
    memory::campaign_record c;
    c.id = id;
    REQUIRE_FALSE(memory::put_campaign(*tx, c));
  }
  memory::task_record kb;
  kb.campaign = "a";
  kb.task_id = "kb";
  kb.backend = "kernelbench";
  kb.best_hash = std::string(64, 'c');
  kb.best_latency_ns = 1000.0 / 3;
  kb.reference_latency_ns = 2000;
  REQUIRE_FALSE(memory::put_task(*tx, kb));
  memory::task_record none;
  none.campaign = "a";
  none.task_id = "none";
  none.backend = "cpu";
  REQUIRE_FALSE(memory::put_task(*tx, none));
  none.campaign = "b";
  REQUIRE_FALSE(memory::put_task(*tx, none));
  REQUIRE_FALSE(memory::put_candidate(*tx, candidate('a', 0, "")));
  REQUIRE_FALSE(memory::put_candidate(*tx, candidate('b', 1, std::string(64, 'a'))));
  REQUIRE_FALSE(memory::put_candidate(*tx, candidate('c', 2, std::string(64, 'b'))));
  REQUIRE_FALSE(tx->commit());
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
                          Catch::Contains(short_id(best.hash)) &&
                          // Over flag_speedup (10x) a kernel is re-measured and, if it held, "flagged":
                          // the offline policy's row_sum reaches 11.5x on some machines.
                          Catch::Contains(best.verdict.flagged ? "| flagged |" : "| passed |"));
  CHECK_THAT(out, Catch::Contains(summary));

  // The lineage depth: first-parent hops from the best back to its draft.
  int depth = 0;
  for (auto at = best; at.stage != "draft" && !at.parents.empty();
       at = view.candidates.at(at.parents.front()))
    ++depth;
  CHECK_THAT(summary, Catch::Contains("| " + std::to_string(depth) + " | " + short_id(best.hash) + " |"));

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

TEST_CASE("kforge best names the campaigns, counts the lineage and lists tasks without a kernel",
          "[runtime][best]") {
  test::temp_store fixture;
  write_two_campaigns(fixture.store());
  fixture.close();
  const auto store = fixture.store_path().string();
  const auto out_dir = fixture.scratch_path("out");
  std::string out;

  CHECK(test::run_to_end({KFORGE_BINARY, "best", "--store", store, "--out", out_dir.string()}, out) == 2);
  CHECK_THAT(out, Catch::Contains("holds 2 campaigns; name one with --campaign: a b"));
  CHECK_FALSE(std::filesystem::exists(out_dir));

  // No task of b has a feasible candidate: exit 3, a summary that says so, and no kernel file.
  CHECK(test::run_to_end(
            {KFORGE_BINARY, "best", "--store", store, "--campaign", "b", "--out", out_dir.string()}, out) ==
        3);
  CHECK_THAT(out, Catch::Contains("| none | - | - | - | - | no feasible candidate |"));
  CHECK(std::distance(std::filesystem::directory_iterator{out_dir / "b"}, {}) == 1);

  CHECK(test::run_to_end(
            {KFORGE_BINARY, "best", "--store", store, "--campaign", "a", "--out", out_dir.string()}, out) ==
        0);
  CHECK(slurp(out_dir / "a" / "kb.py") == "class ModelNew:  # c\n");
  CHECK_FALSE(std::filesystem::exists(out_dir / "a" / "none.cpp"));
  CHECK_THAT(out, Catch::Contains("| kb | 2 us | 333 ns | 6x | - | passed | 2 | " + std::string(12, 'c') +
                                  " | kb.py |") &&
                      Catch::Contains("1 of 2 tasks have a feasible candidate") &&
                      Catch::Contains("| none | - | - | - | - | no feasible candidate |"));
}
