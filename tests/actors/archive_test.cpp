#include "actors/task/archive.hpp"

#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace kforge;
using namespace kforge::actors;

namespace {

memory::candidate_record cand(const std::string& hash, std::vector<kforge::knob_setting> knobs, double ns) {
  memory::candidate_record c;
  c.hash = hash;
  c.knobs = std::move(knobs);
  c.verdict = ns > 0 ? test::timed_verdict(ns) : test::failed("correctness");
  return c;
}

std::vector<std::string> hashes(const std::vector<archive_entry>& m) {
  std::vector<std::string> out;
  for (const auto& e : m)
    out.push_back(e.hash);
  return out;
}

}  // namespace

TEST_CASE("the archive keeps the best and a diverse set beside them", "[actors]") {
  archive_config cfg;
  cfg.best = 1;
  cfg.diverse = 2;
  cfg.min_distance = 2;
  archive a{cfg};
  a.add(cand("best", {{"A", 1}, {"B", 1}, {"C", 1}}, 100));
  a.add(cand("near", {{"A", 2}, {"B", 1}, {"C", 1}}, 110));  // one knob from the best: not diverse
  a.add(cand("far", {{"A", 2}, {"B", 2}, {"C", 1}}, 150));   // two knobs away
  a.add(cand("far2", {{"A", 3}, {"B", 3}, {"C", 3}}, 300));  // far from both
  a.add(cand("far3", {{"A", 4}, {"B", 4}, {"C", 4}}, 400));  // diverse, but the set is full
  a.add(cand("broken", {{"A", 9}, {"B", 9}, {"C", 9}}, 0));  // infeasible: never a member
  CHECK(hashes(a.members()) == std::vector<std::string>{"best", "far", "far2"});
  CHECK(archive::distance({{"A", 1}}, {{"A", 1}, {"B", 2}}) == 1);
}

TEST_CASE("the parent is chosen by Q2 and moves on when the best stops paying", "[actors]") {
  archive_config cfg;
  cfg.best = 1;
  cfg.diverse = 2;
  cfg.min_distance = 1;
  cfg.epsilon = 0.0;
  cfg.prior_scale = 1.0;
  archive a{cfg};
  a.add(cand("fast", {{"A", 1}}, 100));
  a.add(cand("slow", {{"A", 2}}, 130));
  // Priors: 0 for the best, tanh(log 100 - log 130) < 0 for the slower one.
  CHECK(a.pick_parent(1).hash == "fast");
  auto members = a.members();
  CHECK(members[0].q2 == Approx(0.0));
  CHECK(members[1].q2 < -0.2);
  // Children of the best keep failing: its Q2 drops below the other's prior.
  for (int i = 0; i < 3; ++i)
    a.reward_parent("fast", -1.0);
  CHECK(a.pick_parent(1).hash == "slow");
  // A child of the slow one pays: it stays the parent.
  a.reward_parent("slow", 1.0);
  CHECK(a.pick_parent(2).hash == "slow");
  a.reward_parent("unknown", 1.0);  // ignored
  CHECK(a.members().size() == 2);
  SECTION("a larger prior scale keeps refining the best longer") {
    cfg.prior_scale = 3.0;
    archive b{cfg};
    b.add(cand("fast", {{"A", 1}}, 100));
    b.add(cand("slow", {{"A", 2}}, 130));
    for (int i = 0; i < 3; ++i)
      b.reward_parent("fast", -1.0);
    CHECK(b.pick_parent(1).hash == "fast");  // -0.49 against tanh(3 log(100/130)) = -0.66
    for (int i = 0; i < 2; ++i)
      b.reward_parent("fast", -1.0);
    CHECK(b.pick_parent(1).hash == "slow");
  }
}

TEST_CASE("epsilon sometimes picks another member, deterministically per seed", "[actors]") {
  archive_config cfg;
  cfg.best = 1;
  cfg.diverse = 3;
  cfg.min_distance = 1;
  cfg.epsilon = 0.5;
  archive a{cfg};
  for (int i = 0; i < 4; ++i)
    a.add(cand("c" + std::to_string(i), {{"A", i}}, 100.0 + 10 * i));
  std::set<std::string> picked;
  for (uint64_t s = 0; s < 40; ++s) {
    CHECK(a.pick_parent(s).hash == a.pick_parent(s).hash);
    picked.insert(a.pick_parent(s).hash);
  }
  CHECK(picked.size() > 1);
  CHECK(picked.count("c0") == 1);
  CHECK(archive{cfg}.pick_parent(1).hash.empty());
}
