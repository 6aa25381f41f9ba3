#include "actors/llm_proxy/offline_policy.hpp"

#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

using namespace kforge;
using namespace kforge::actors;

namespace {

int64_t knob_value(const proposal& p, const std::string& name) {
  for (const auto& k : p.knobs)
    if (k.name == name)
      return k.value;
  return -1;
}

}  // namespace

TEST_CASE("offline drafts render the template with one define per knob", "[actors]") {
  auto task = test::knob_task();
  offline_policy policy{{}};
  policy_request req;
  req.task_id = task.id;
  req.stage = "draft";
  req.k = 3;
  req.seed = 11;
  auto out = policy.propose(task, req);
  REQUIRE(out.size() == 3);
  for (const auto& p : out) {
    REQUIRE(p.knobs.size() == 2);
    CHECK(p.source.find("#define VEC " + std::to_string(knob_value(p, "VEC"))) != std::string::npos);
    CHECK(p.source.find("#define UNROLL " + std::to_string(knob_value(p, "UNROLL"))) != std::string::npos);
    CHECK(p.source.find(task.template_source) != std::string::npos);
  }
  SECTION("the same seed gives the same proposals") {
    auto again = policy.propose(task, req);
    for (size_t i = 0; i < out.size(); ++i)
      CHECK(again[i].source == out[i].source);
  }
  SECTION("settings already tried are avoided while new ones exist") {
    req.k = 6;  // the whole space
    auto all = policy.propose(task, req);
    std::set<std::string> distinct;
    for (const auto& p : all)
      distinct.insert(p.source);
    CHECK(distinct.size() == 6);
  }
  SECTION("the task's tried fingerprints steer the draft to the one setting left") {
    req.k = 6;
    auto all = policy.propose(task, req);
    REQUIRE(all.size() == 6);
    for (size_t i = 0; i + 1 < all.size(); ++i)
      add_tried(req.tried, settings_fingerprint(all[i].knobs));
    REQUIRE(req.tried.size() == 5);
    CHECK(std::is_sorted(req.tried.begin(), req.tried.end()));
    add_tried(req.tried, settings_fingerprint(all[0].knobs));  // once
    CHECK(req.tried.size() == 5);
    req.k = 1;
    req.seed = 99;
    auto left = policy.propose(task, req);
    REQUIRE(left.size() == 1);
    CHECK(left[0].knobs == all.back().knobs);
    CHECK(was_tried(req.tried, settings_fingerprint(all[0].knobs)));
    CHECK_FALSE(was_tried(req.tried, settings_fingerprint(all.back().knobs)));
    CHECK_FALSE(offline_policy::exhausted(task, req.tried));  // one of six left
    auto unrelated = req.tried;  // six fingerprints, one of them of no setting of the space
    add_tried(unrelated, 12345);
    CHECK_FALSE(offline_policy::exhausted(task, unrelated));
    add_tried(req.tried, settings_fingerprint(all.back().knobs));
    CHECK(offline_policy::exhausted(task, req.tried));  // all six
  }
}

TEST_CASE("offline drafts follow seed items from the context", "[actors]") {
  auto task = test::knob_task();
  memory::memory_item seed;
  seed.id = "seed-1";
  seed.kind = "seed";
  seed.payload = nlohmann::json{{"knobs", {{"VEC", 8}, {"UNROLL", 2}}}}.dump();
  offline_policy_config cfg;
  cfg.explore = 0.0;
  offline_policy policy{cfg};
  policy_request req;
  req.stage = "draft";
  req.k = 1;
  req.seed = 3;
  req.context = {seed};
  auto out = policy.propose(task, req);
  REQUIRE(out.size() == 1);
  CHECK(knob_value(out[0], "VEC") == 8);
  CHECK(knob_value(out[0], "UNROLL") == 2);
  CHECK(out[0].context_ids == std::vector<std::string>{"seed-1"});
  SECTION("a value the task does not allow is ignored") {
    req.context[0].payload = nlohmann::json{{"knobs", {{"VEC", 3}}}}.dump();
    auto p = policy.propose(task, req);
    CHECK(knob_value(p[0], "VEC") != 3);
  }
}

TEST_CASE("offline refines change one or two knobs of the parent and name the change", "[actors]") {
  auto task = test::knob_task();
  offline_policy_config cfg;
  cfg.second_change = 0.0;
  offline_policy policy{cfg};
  policy_request req;
  req.stage = "refine";
  req.k = 2;
  req.seed = 5;
  parent_info parent;
  parent.hash = "p";
  parent.knobs = {{"VEC", 1}, {"UNROLL", 1}};
  req.parent = {parent};
  req.tried = {settings_fingerprint(parent.knobs)};
  for (const auto& p : policy.propose(task, req)) {
    int changed = (knob_value(p, "VEC") != 1) + (knob_value(p, "UNROLL") != 1);
    CHECK(changed == 1);
    CHECK(p.optimization.find("->") != std::string::npos);
  }
  SECTION("an optimization item from the context is applied") {
    memory::memory_item opt;
    opt.id = "opt-1";
    opt.kind = "optimization";
    opt.payload = nlohmann::json{{"changes", {{{"knob", "VEC"}, {"value", 8}}}}}.dump();
    cfg.explore = 0.0;
    offline_policy greedy{cfg};
    req.k = 1;
    req.context = {opt};
    auto p = greedy.propose(task, req);
    CHECK(knob_value(p[0], "VEC") == 8);
    CHECK(p[0].context_ids == std::vector<std::string>{"opt-1"});
    CHECK(p[0].optimization == "VEC=8");
  }
}
