#include "actors/task/parent_choice.hpp"

#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;

namespace {

memory::candidate_record timed(const std::string& hash, int64_t vec, double ns) {
  memory::candidate_record c;
  c.hash = hash;
  c.source = "src " + hash;
  c.knobs = {{"VEC", vec}, {"UNROLL", 1}};
  c.verdict = test::timed_verdict(ns);
  c.perf_state = "fam|memory|eff1";
  return c;
}

memory::task_record record_in(const std::string& phase) {
  memory::task_record r;
  r.task_id = "t1";
  r.phase = phase;
  return r;
}

}  // namespace

TEST_CASE("a stored phase name maps to the task's phase", "[actors]") {
  CHECK(phase_of(record_in("draft")) == task_phase::draft);
  CHECK(phase_of(record_in("refine")) == task_phase::refine);
  CHECK(phase_of(record_in("done")) == task_phase::done);
  CHECK(phase_of(record_in("")) == task_phase::draft);
  CHECK(std::string{to_string(task_phase::draft)} == "draft");
  CHECK(std::string{to_string(task_phase::refine)} == "refine");
  CHECK(std::string{to_string(task_phase::done)} == "done");
}

TEST_CASE("a step in draft asks for fresh kernels without a parent", "[actors]") {
  archive arch{archive_config{}};
  arch.add(timed("a", 4, 100));
  auto plan = plan_step(task_phase::draft, arch, nullptr, 7);
  CHECK(plan.stage == "draft");
  CHECK(plan.parent.empty());
}

TEST_CASE("a step in refine starts from the archive's parent", "[actors]") {
  archive_config cfg;
  cfg.epsilon = 0;  // always the highest Q2: the fastest member
  archive arch{cfg};
  arch.add(timed("slow", 1, 400));
  arch.add(timed("fast", 8, 100));
  auto best = timed("other", 4, 50);  // the archive's pick wins over the record's best
  auto plan = plan_step(task_phase::refine, arch, &best, 7);
  CHECK(plan.stage == "refine");
  REQUIRE(plan.parent.size() == 1);
  CHECK(plan.parent.front().hash == "fast");
  CHECK(plan.parent.front().source == "src fast");
  CHECK(plan.parent.front().latency_ns == 100);
  CHECK(plan.parent.front().perf_state == "fam|memory|eff1");

  SECTION("the same step seed picks the same parent") {
    archive_config eps;
    eps.epsilon = 0.5;
    archive a2{eps};
    a2.add(timed("slow", 1, 400));
    a2.add(timed("fast", 8, 100));
    for (uint64_t seed = 0; seed < 16; ++seed)
      CHECK(plan_step(task_phase::refine, a2, nullptr, seed).parent.front().hash ==
            plan_step(task_phase::refine, a2, nullptr, seed).parent.front().hash);
  }
}

TEST_CASE("without a feasible archive member a refine step starts from the task's best", "[actors]") {
  archive arch{archive_config{}};
  auto best = timed("best", 4, 250);
  auto plan = plan_step(task_phase::refine, arch, &best, 3);
  CHECK(plan.stage == "refine");
  REQUIRE(plan.parent.size() == 1);
  CHECK(plan.parent.front().hash == "best");
  CHECK(plan.parent.front().latency_ns == 250);
  CHECK(plan.parent.front().knobs == best.knobs);
}

TEST_CASE("without a parent of any kind a refine step falls back to a draft", "[actors]") {
  archive arch{archive_config{}};
  auto plan = plan_step(task_phase::refine, arch, nullptr, 3);
  CHECK(plan.stage == "draft");
  CHECK(plan.parent.empty());
}
