// issue 4: warm starts from another store's memory, and the start order of tasks.

#include "runtime/campaign/campaign_supervisor.hpp"
#include "runtime/campaign/machine_roofline.hpp"

#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::runtime;

namespace {

memory::memory_item item(const std::string& id, double q2) {
  memory::memory_item m;
  m.id = id;
  m.kind = "optimization";
  m.family = "softmax";
  m.q2 = q2;
  m.visits2 = 3;
  m.source_tasks = {"softmax_a"};
  return m;
}

void put(memory::store& s, const std::vector<memory::memory_item>& items, const std::string& campaign) {
  auto tx = s.write();
  REQUIRE(tx);
  for (const auto& m : items)
    REQUIRE_FALSE(memory::put_memory(*tx, m));
  memory::campaign_record c;
  c.id = campaign;
  REQUIRE_FALSE(memory::put_campaign(*tx, c));
  REQUIRE_FALSE(tx->commit());
}

}  // namespace

TEST_CASE("a campaign starts warm from a snapshot's memory items only, once", "[runtime]") {
  test::temp_store source;
  put(source.store(), {item("m1", 0.5), item("m2", -0.25)}, "other");
  auto snap = source.scratch_path("snap");
  REQUIRE_FALSE(source.store().snapshot(snap));

  test::temp_store target;
  put(target.store(), {}, "mine");  // a campaign record of its own
  {
    auto tx = target.store().write();
    REQUIRE(tx);
    REQUIRE_FALSE(memory::put_memory(*tx, item("m2", 0.9)));  // learned here already
    REQUIRE_FALSE(tx->commit());
  }
  auto copied = import_memory(target.store(), snap);
  REQUIRE(copied);
  CHECK(*copied == 1);
  {
    auto tx = target.store().read();
    REQUIRE(tx);
    auto m1 = memory::get_memory(*tx, "m1");
    REQUIRE(m1);
    CHECK(m1->q2 == 0.5);  // values come along
    CHECK(m1->visits2 == 3);
    CHECK(memory::get_memory(*tx, "m2")->q2 == 0.9);  // the target's own value wins
    CHECK(code_of(memory::get_campaign(*tx, "other").error()) == errc::not_found);  // memory items only
  }
  SECTION("importing again (a resumed campaign) copies nothing") {
    auto again = import_memory(target.store(), snap);
    REQUIRE(again);
    CHECK(*again == 0);
  }
  SECTION("a path without a store is a config error") {
    auto bad = import_memory(target.store(), source.scratch_path("nothing"));
    REQUIRE_FALSE(bad);
    CHECK(code_of(bad.error()) == errc::bad_config);
  }
}

TEST_CASE("tasks start by family order, then by id", "[runtime]") {
  kforge::task_map tasks;
  for (auto [id, family] : std::vector<std::pair<std::string, std::string>>{
           {"a_gemm", "gemm"}, {"b_ew", "elementwise"}, {"c_ew", "elementwise"}, {"d_x", "other"}}) {
    kforge::task_def t;
    t.id = id;
    t.family = family;
    tasks.emplace(id, t);
  }
  CHECK(task_start_order(tasks, {}) == std::vector<std::string>{"a_gemm", "b_ew", "c_ew", "d_x"});
  CHECK(task_start_order(tasks, {"elementwise", "gemm"}) ==
        std::vector<std::string>{"b_ew", "c_ew", "a_gemm", "d_x"});
}
