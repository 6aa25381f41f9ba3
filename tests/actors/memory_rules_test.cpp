#include "actors/curator/memory_rules.hpp"

#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;

TEST_CASE("a Monte-Carlo update moves the stage's value toward the reward", "[actors]") {
  memory::memory_item m;
  update_value(m, "draft", 1.0, 0.2);
  CHECK(m.q1 == Approx(0.2));
  CHECK(m.visits1 == 1);
  update_value(m, "draft", 1.0, 0.2);
  CHECK(m.q1 == Approx(0.36));
  update_value(m, "refine", -1.0, 0.2);
  CHECK(m.q2 == Approx(-0.2));
  CHECK(m.visits2 == 1);
  CHECK(m.q1 == Approx(0.36));
}

TEST_CASE("experiences derive seeds, optimizations and trajectory steps with stable ids", "[actors]") {
  memory::task_record task;
  task.task_id = "softmax_a";
  task.family = "softmax";
  memory::candidate_record draft;
  draft.hash = "h1";
  draft.stage = "draft";
  draft.knobs = {{"VEC", 4}, {"UNROLL", 1}};
  draft.verdict = test::timed_verdict(200);
  draft.reward = 1.0;
  auto seeds = derive_items(draft, task, std::nullopt, 5);
  REQUIRE(seeds.size() == 1);
  CHECK(seeds[0].kind == "seed");
  CHECK(seeds[0].q1 == 1.0);
  CHECK(seeds[0].text.find("VEC=4 UNROLL=1") != std::string::npos);

  memory::task_record other = task;
  other.task_id = "softmax_b";
  auto again = derive_items(draft, other, std::nullopt, 6);
  CHECK(again[0].id == seeds[0].id);  // same family and setting: the same item

  memory::candidate_record child = draft;
  child.hash = "h2";
  child.stage = "refine";
  child.knobs = {{"VEC", 8}, {"UNROLL", 1}};
  child.optimization = "VEC 4->8";
  child.verdict = test::timed_verdict(100);
  child.reward = 0.5;
  auto items = derive_items(child, task, draft, 7);
  REQUIRE(items.size() == 2);
  CHECK(items[0].kind == "optimization");
  CHECK(items[0].text == "softmax: set VEC=8");
  CHECK(items[1].kind == "trajectory");
  CHECK(items[1].text.find("2.00x") != std::string::npos);

  SECTION("an infeasible draft derives nothing; an infeasible refine still records the optimization") {
    draft.verdict = test::failed("correctness");
    CHECK(derive_items(draft, task, std::nullopt, 8).empty());
    child.verdict = test::failed("correctness");
    auto bad = derive_items(child, task, draft, 8);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].kind == "optimization");
  }
  SECTION("merging keeps values and adds the source task") {
    auto stored = seeds[0];
    stored.q1 = 0.7;
    merge_item(stored, again[0]);
    CHECK(stored.q1 == 0.7);
    CHECK(stored.source_tasks == std::vector<std::string>{"softmax_a", "softmax_b"});
  }
}
