#include "actors/curator/memory_rules.hpp"

#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

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
  child.speedup_vs_parent = 2.0;  // the task actor's gain beyond the noise
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

TEST_CASE("a model's kernels derive seeds and trajectory steps in words with what kforge measured",
          "[actors]") {
  memory::task_record task;
  task.task_id = "row_sum_a";
  task.family = "reduction";
  memory::candidate_record draft;
  draft.hash = "d1";
  draft.stage = "draft";
  draft.optimization = "Sum each row with four 8-wide accumulators";
  draft.technique = "simd_vectorization, multiple_accumulators";
  draft.verdict = test::timed_verdict(200000);  // 0.200 ms
  draft.speedup_vs_ref = 2.5;
  draft.perf_state = "reduction|memory|eff2|roofline";
  draft.reward = 1.0;
  // Roofline time 50 us: the draft runs at 25 % of the memory roofline.
  auto seeds = derive_items(draft, task, std::nullopt, 5, 50000);
  REQUIRE(seeds.size() == 1);
  const auto& seed = seeds[0];
  CHECK(seed.kind == "seed");
  CHECK(memory::is_in_words(seed));
  CHECK(seed.q1 == 1.0);
  CHECK(seed.visits1 == 1);
  CHECK(seed.text ==
        "reduction task row_sum_a, a first kernel that passed every gate: \"Sum each row with four 8-wide "
        "accumulators\" (technique: simd_vectorization, multiple_accumulators); 0.200 ms, 2.50x the "
        "reference, 25% of the memory roofline");
  CHECK(seed.text.find('=') == std::string::npos);  // no knob settings
  // The same statement on another task of the family lands on the same seed.
  memory::task_record other = task;
  other.task_id = "row_sum_b";
  auto again = derive_items(draft, other, std::nullopt, 6, 50000);
  REQUIRE(again.size() == 1);
  CHECK(again[0].id == seed.id);

  memory::candidate_record child;
  child.hash = "c1";
  child.stage = "refine";
  child.parents = {"d1"};
  child.optimization = "Prefetch 512 bytes ahead";
  child.technique = "software_prefetch";
  child.verdict = test::timed_verdict(75000);  // 0.075 ms
  child.speedup_vs_ref = 6.67;
  child.speedup_vs_parent = 200.0 / 75.0;
  child.perf_state = "reduction|memory|eff5|roofline";
  child.reward = 0.8;
  auto steps = derive_items(child, task, draft, 7, 50000);
  REQUIRE(steps.size() == 1);
  const auto& step = steps[0];
  CHECK(step.kind == "trajectory");
  CHECK(memory::is_in_words(step));
  CHECK(step.state == draft.perf_state);  // the state the change was applied in
  CHECK(step.q2 == 0.8);
  CHECK(step.visits2 == 1);
  CHECK(step.text ==
        "reduction task row_sum_a, refine step \"Prefetch 512 bytes ahead\" (technique: software_prefetch): "
        "0.200 ms -> 0.075 ms, 6.67x the reference, 67% of the memory roofline, 2.67x over the parent");
  auto payload = nlohmann::json::parse(step.payload);
  CHECK(payload["speedup_vs_parent"].get<double>() == Approx(200.0 / 75.0));
  CHECK(payload["technique"] == "software_prefetch");
  CHECK_FALSE(payload.contains("changes"));  // nothing the offline policy would apply

  SECTION("a failed refinement is a step too, saying which gate and why") {
    child.verdict = test::failed("correctness");
    child.verdict.gates[0].detail = "max error 0.5 at index 7\nsecond line";
    child.speedup_vs_ref = 0;
    child.reward = -1;
    auto bad = derive_items(child, task, draft, 8, 50000);
    REQUIRE(bad.size() == 1);
    CHECK(
        bad[0].text ==
        "reduction task row_sum_a, refine step \"Prefetch 512 bytes ahead\" (technique: software_prefetch): "
        "failed the correctness gate (max error 0.5 at index 7); the parent ran 0.200 ms");
    CHECK(bad[0].q2 == -1);
  }
  SECTION("a draft that failed derives nothing; one without a statement is its own seed") {
    draft.verdict = test::failed("compile");
    CHECK(derive_items(draft, task, std::nullopt, 8).empty());
    memory::candidate_record plain = child;
    plain.stage = "draft";
    plain.optimization = "draft";
    plain.technique.clear();
    auto own = derive_items(plain, task, std::nullopt, 8);
    REQUIRE(own.size() == 1);
    CHECK(own[0].text.find("(no statement)") != std::string::npos);
    CHECK(own[0].text.find("roofline") == std::string::npos);  // no roofline time known
  }
}

TEST_CASE("the payloads of knob candidates are the JSON nlohmann would write for them", "[actors]") {
  // They are written as text, not through a JSON tree: the same bytes, keys in sorted order,
  // a repeated knob's last value, escapes and numbers as nlohmann dumps them.
  memory::task_record task;
  task.task_id = "soft\"max \\ a";
  task.family = "softmax";
  memory::candidate_record draft;
  draft.hash = "p\"1";
  draft.stage = "draft";
  draft.knobs = {{"VEC", 4}, {"UNROLL", -1}, {"ACC", 2}, {"VEC", 16}};
  draft.verdict = test::timed_verdict(200);
  draft.speedup_vs_ref = 1.0 / 3.0;
  auto seeds = derive_items(draft, task, std::nullopt, 5);
  REQUIRE(seeds.size() == 1);
  nlohmann::json knobs = nlohmann::json::object();
  for (const auto& k : draft.knobs)
    knobs[k.name] = k.value;
  CHECK(seeds[0].payload ==
        nlohmann::json{{"knobs", knobs}, {"task", task.task_id}, {"speedup", draft.speedup_vs_ref}}.dump());

  memory::candidate_record child = draft;
  child.hash = "c\n2";
  child.stage = "refine";
  child.knobs = {{"VEC", 8}, {"UNROLL", -1}, {"ACC", 3}, {"Z\u00e9", 1}};
  child.verdict = test::timed_verdict(100);
  child.speedup_vs_parent = 2.5;
  auto items = derive_items(child, task, draft, 7);
  REQUIRE(items.size() == 2);
  auto changes = nlohmann::json::array();
  for (const auto& c : knob_changes(draft.knobs, child.knobs))
    changes.push_back({{"knob", c.name}, {"value", c.value}});
  CHECK(changes.size() == 3);
  CHECK(items[0].payload == nlohmann::json{{"changes", changes}}.dump());
  CHECK(items[1].payload ==
        nlohmann::json{
            {"parent", draft.hash}, {"child", child.hash}, {"changes", changes}, {"speedup_vs_parent", 2.5}}
            .dump());
}
