#include "actors/curator/insight_rules.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

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
