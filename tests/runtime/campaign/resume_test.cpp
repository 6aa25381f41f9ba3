// End to end: a real campaign in a child process, killed with SIGKILL
// mid-run, then run again to the end; the store must hold every committed
// candidate exactly once and respect the budgets.

#include "memory/schema.hpp"
#include "memory/store.hpp"
#include "tests/support/campaign_view.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <set>

using namespace kforge;

namespace {

constexpr int resume_per_task = 4;

std::string write_config(const test::temp_dir& dir) {
  auto path = dir.path() / "campaign.toml";
  std::ofstream out{path};
  out << "[campaign]\nname = \"resume\"\nseed = 5\n"
      << "tasks = [\"" << KFORGE_SOURCE_DIR << "/configs/tasks/cpu/row_sum_*.toml\", \"" << KFORGE_SOURCE_DIR
      << "/configs/tasks/cpu/gelu_tanh_*.toml\"]\n"
      << "[budget]\nevaluations_per_task = " << resume_per_task << "\nplateau = 0\n"
      << "[policy]\ncandidates_per_step = 2\n"
      << "[verifier]\nmin_runs = 3\nmax_runs = 10\ntarget_ms = 5\nwarmup = 1\nseeds = 2\nfinal_rounds = 0\n"
      << "[store]\npath = \"store\"\n";
  return path.string();
}

}  // namespace

TEST_CASE("a campaign killed with SIGKILL resumes without losing or repeating candidates", "[runtime]") {
  test::temp_dir dir{"resume"};
  auto config = write_config(dir);
  auto store_path = dir.path() / "store";
  std::set<std::string> verified_first;
  {
    test::child_process child{{KFORGE_BINARY, "--log-level", "info", "run", config, "--no-progress"}};
    // Synchronise on the log: kill once five candidates have been verified.
    child.read_until("candidate verified", "", 5);
    CHECK(child.stop(SIGKILL) == 128 + SIGKILL);
  }
  auto before = test::read_campaign(store_path, "resume");
  CHECK(before.campaign.status == "running");
  CHECK(before.candidates.size() >= 1);  // commits trail verdicts; at least the first groups are in
  // The references prepared before the kill are on disk (the verifier's reference cache).
  std::size_t cached = 0;
  {
    auto store = memory::store::open(store_path);
    REQUIRE(store);
    auto tx = store->read();
    REQUIRE(tx);
    auto n = tx->entries(memory::table::references);
    REQUIRE(n);
    cached = *n;
  }
  CHECK(cached >= 1);  // the first verified candidate's reference at least

  std::string log;
  std::size_t restored = 0;
  std::size_t prepared = 0;
  {
    test::child_process child{{KFORGE_BINARY, "--log-level", "info", "run", config, "--no-progress"}};
    while (auto line = child.read_line()) {
      log += *line + "\n";
      restored += line->find("reference from the cache") != std::string::npos ? 1U : 0U;
      prepared += line->find("reference ready") != std::string::npos ? 1U : 0U;
      auto at = line->find("candidate verified");
      if (at == std::string::npos)
        continue;
      auto cand = line->find("cand=");
      REQUIRE(cand != std::string::npos);
      auto id = line->substr(cand + 5, 12);
      for (const auto& [hash, c] : before.candidates)
        CHECK(hash.rfind(id, 0) != 0);  // not verified again
    }
    CHECK(child.wait() == 0);
  }
  auto after = test::read_campaign(store_path, "resume");
  INFO(log);
  CHECK(after.campaign.status == "finished");
  // The second run restored every cached reference instead of preparing it again.
  CHECK(restored == cached);
  CHECK(prepared == after.tasks.size() - cached);

  // Nothing committed before the kill was lost or changed.
  for (const auto& [hash, c] : before.candidates) {
    REQUIRE(after.candidates.count(hash) == 1);
    CHECK(after.candidates[hash].seq == c.seq);
    CHECK(after.candidates[hash].verdict.failed_gate == c.verdict.failed_gate);
  }
  // Each task's candidates are numbered 0..n-1 with no gap or repeat, within the budget.
  int64_t total = 0;
  for (const auto& t : after.tasks) {
    const auto& hashes = after.order[t.task_id];
    std::set<std::string> distinct(hashes.begin(), hashes.end());
    CHECK(distinct.size() == hashes.size());
    CHECK(static_cast<int64_t>(hashes.size()) == t.evaluations);
    CHECK(t.evaluations <= resume_per_task);
    for (size_t i = 0; i < hashes.size(); ++i)
      CHECK(after.candidates[hashes[i]].seq == static_cast<int64_t>(i));
    CHECK(t.phase == "done");
    total += t.evaluations;
  }
  CHECK(after.campaign.evaluations == total);
  CHECK(total == static_cast<int64_t>(after.candidates.size()));
}
