#include "actors/curator/insight_rules.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>

using namespace kforge;
using namespace kforge::actors;

namespace {

memory::memory_item trajectory(const std::string& id, const std::string& task, int64_t vec, double effect) {
  memory::memory_item m;
  m.id = id;
  m.kind = "trajectory";
  m.family = "softmax";
  m.source_tasks = {task};
  m.payload =
      nlohmann::json{{"changes", {{{"knob", "VEC"}, {"value", vec}}}}, {"speedup_vs_parent", effect}}.dump();
  return m;
}

memory::memory_item seed(const std::string& id, const std::string& task, int64_t vec, int64_t acc) {
  memory::memory_item m;
  m.id = id;
  m.kind = "seed";
  m.family = "softmax";
  m.source_tasks = {task};
  m.payload = nlohmann::json{{"knobs", {{"VEC", vec}, {"ACC", acc}}}, {"speedup", 2.0}}.dump();
  return m;
}

}  // namespace

TEST_CASE("repeated trajectory evidence becomes an insight with counts and measured effects", "[actors]") {
  consolidation_config cfg;
  cfg.min_evidence = 3;
  std::vector<memory::memory_item> items = {
      trajectory("t1", "a", 8, 2.0), trajectory("t2", "b", 8, 1.0), trajectory("t3", "a", 8, 3.0),
      trajectory("t4", "a", 4, 1.5), trajectory("t5", "b", 4, 1.5),  // only twice: no insight
  };
  auto out = consolidate(items, cfg, 42);
  REQUIRE(out.insights.size() == 1);
  const auto& ins = out.insights[0];
  CHECK(ins.kind == "insight");
  CHECK(ins.family == "softmax");
  CHECK(ins.samples == 3);
  CHECK(ins.mean_speedup == Approx(2.0));
  CHECK(ins.text ==
        "softmax: set VEC=8 gave 2.00x mean over the parent (1.00x to 3.00x, faster in 2 of 3 "
        "steps, 2 tasks)");
  CHECK(ins.source_tasks == std::vector<std::string>{"a", "b"});
  CHECK(ins.tags == std::vector<std::string>{"refine", "consolidated"});
  CHECK(ins.q2 > 0);  // a prior from the measured effect
  auto payload = nlohmann::json::parse(ins.payload);
  CHECK(payload["changes"][0]["knob"] == "VEC");
  CHECK(payload["count"] == 3);
  SECTION("the same evidence gives the same insight id") {
    CHECK(consolidate(items, cfg, 43).insights[0].id == ins.id);
  }
  SECTION("retired evidence does not count") {
    items[0].retired = true;
    CHECK(consolidate(items, cfg, 42).insights.empty());
  }
}

TEST_CASE("knob values most feasible seeds of a family agree on become draft insights", "[actors]") {
  consolidation_config cfg;
  cfg.min_evidence = 3;
  std::vector<memory::memory_item> items = {seed("s1", "a", 8, 1), seed("s2", "b", 8, 2),
                                            seed("s3", "c", 8, 4), seed("s4", "c", 4, 2)};
  auto out = consolidate(items, cfg, 1);
  REQUIRE(out.insights.size() == 1);  // VEC=8 in 3 of 4; ACC values disagree
  CHECK(out.insights[0].text ==
        "softmax: VEC=8 in 3 of 4 feasible drafts (3 tasks, best 2.00x vs reference)");
  CHECK(nlohmann::json::parse(out.insights[0].payload)["knobs"]["VEC"] == 8);
  CHECK(out.insights[0].tags[0] == "draft");
}

TEST_CASE("items whose values stay low after enough visits are retired", "[actors]") {
  consolidation_config cfg;
  cfg.retire_min_visits = 4;
  cfg.retire_below = -0.5;
  memory::memory_item m;
  m.id = "m";
  m.kind = "optimization";
  m.visits2 = 3;
  m.q2 = -0.9;
  CHECK_FALSE(should_retire(m, cfg));  // too few visits
  m.visits2 = 4;
  CHECK(should_retire(m, cfg));
  m.visits1 = 2;
  m.q1 = 0.4;  // still useful for drafting
  CHECK_FALSE(should_retire(m, cfg));
  m.q1 = -0.6;
  CHECK(should_retire(m, cfg));
  CHECK(consolidate({m}, cfg, 1).retire == std::vector<std::string>{"m"});
  m.retired = true;
  CHECK_FALSE(should_retire(m, cfg));
}

namespace {

// A model's refine step in words, as memory_rules derives it.
memory::memory_item words_step(const std::string& id, const std::string& task, const std::string& family,
                               const std::string& technique, double effect, int64_t when) {
  memory::memory_item m;
  m.id = id;
  m.kind = "trajectory";
  m.family = family;
  m.source_tasks = {task};
  m.tags = {"refine", task, memory::words_tag};
  m.updated_ms = when;
  bool ok = effect > 0;
  m.payload = nlohmann::json{
      {"optimization", "step " + id},
      {"technique", technique},
      {"feasible", ok},
      {"failed_gate", ok ? "" : "correctness"},
      {"speedup_vs_parent",
       effect}}.dump();
  return m;
}

}  // namespace

TEST_CASE("a model's refine steps become insights in words per technique, across tasks and families",
          "[actors]") {
  consolidation_config cfg;
  cfg.min_evidence = 3;
  std::vector<memory::memory_item> items = {
      words_step("s1", "row_sum_a", "reduction", "simd_vectorization, multiple_accumulators", 2.0, 1),
      words_step("s2", "softmax_a", "softmax", "SIMD_vectorization", 1.0, 3),
      words_step("s3", "row_sum_b", "reduction", "simd_vectorization", 0.0, 2),  // failed the gates
      words_step("s4", "row_sum_a", "reduction", "simd_vectorization", 3.0, 4),
      words_step("s5", "row_sum_a", "reduction", "multiple_accumulators", 1.5, 5),  // twice: no insight
  };
  auto out = consolidate(items, cfg, 42);
  REQUIRE(out.insights.size() == 1);
  const auto& ins = out.insights[0];
  CHECK(ins.kind == "insight");
  CHECK(memory::is_in_words(ins));
  CHECK(ins.family.empty());  // the evidence spans two families
  CHECK(ins.text ==
        "simd_vectorization, in 4 refine steps of model kernels on 3 tasks (reduction, softmax): 2.00x mean "
        "over the parent (1.00x to 3.00x), faster in 2 of 3 that passed; 1 failed the gates (correctness 1); "
        "e.g. \"step s4\"");
  CHECK(ins.text.find('=') == std::string::npos);
  CHECK(ins.samples == 4);
  CHECK(ins.feasible_samples == 3);
  CHECK(ins.mean_speedup == Approx(2.0));
  CHECK(ins.source_tasks == std::vector<std::string>{"row_sum_a", "row_sum_b", "softmax_a"});
  CHECK(ins.q2 > -1);
  CHECK(ins.q2 < std::log(2.0));  // the failure lowers the prior below the mean effect's
  auto payload = nlohmann::json::parse(ins.payload);
  CHECK_FALSE(payload.contains("changes"));
  CHECK(payload["technique"] == "simd_vectorization");
  SECTION("the same evidence gives the same id; knob consolidation ignores items in words") {
    CHECK(consolidate(items, cfg, 43).insights[0].id == ins.id);
    items.push_back(trajectory("k1", "a", 8, 2.0));
    CHECK(consolidate(items, cfg, 43).insights.size() == 1);
  }
  SECTION("feasible drafts that name a technique become a draft insight against the reference") {
    std::vector<memory::memory_item> seeds;
    for (int i = 0; i < 3; ++i) {
      memory::memory_item m;
      m.id = "d" + std::to_string(i);
      m.kind = "seed";
      m.family = "reduction";
      m.source_tasks = {"row_sum_" + std::to_string(i)};
      m.tags = {"draft", m.source_tasks[0], memory::words_tag};
      m.payload = nlohmann::json{
          {"optimization", "draft " + std::to_string(i)},
          {"technique", "loop_unrolling"},
          {"feasible", true},
          {"speedup_vs_ref",
           1.0 + i}}.dump();
      seeds.push_back(m);
    }
    auto drafts = consolidate(seeds, cfg, 42);
    REQUIRE(drafts.insights.size() == 1);
    CHECK(drafts.insights[0].family == "reduction");
    CHECK(drafts.insights[0].tags == std::vector<std::string>{"draft", "consolidated", memory::words_tag});
    CHECK(drafts.insights[0].text ==
          "loop_unrolling, in 3 first kernels that passed on 3 tasks (reduction): 2.00x mean over the "
          "reference (1.00x to 3.00x); e.g. \"draft 0\"");
  }
}
