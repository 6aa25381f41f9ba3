// Issue 7: one campaign over several GPUs, one verifier pool per GPU behind a router.
#include "actors/verifier/verifier_router.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_verifier.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;

TEST_CASE("The verifier router sends every request of a task to one pool and deals tasks round-robin",
          "[actors][verifier]") {
  test::actor_fixture f;
  auto tasks = std::make_shared<kforge::task_map>();
  for (const char* id : {"a", "b", "c"}) {
    kforge::task_def t;
    t.id = id;
    (*tasks)[id] = t;
  }
  CHECK(pool_of(*tasks, "a", 2) == 0);
  CHECK(pool_of(*tasks, "b", 2) == 1);
  CHECK(pool_of(*tasks, "c", 2) == 0);
  CHECK(pool_of(*tasks, "zz", 2) == 0);
  CHECK(pool_of(*tasks, "b", 1) == 0);
  auto judge = [](const std::string&) {
    kforge::verdict v;
    v.feasible = true;
    return v;
  };
  auto log0 = std::make_shared<test::fake_verifier_log>();
  auto log1 = std::make_shared<test::fake_verifier_log>();
  auto pool0 = test::spawn_fake_verifier(f.sys, judge, 1000, log0);
  auto pool1 = test::spawn_fake_verifier(f.sys, judge, 1000, log1);
  auto router = spawn_verifier_router(f.sys, {pool0, pool1}, tasks);
  int answered = 0;
  for (const char* id : {"a", "b", "c", "b"}) {
    auto rh = f.self->request(router, caf::infinite, verify_atom_v, verify_request{id, "h", "src"});
    f.run();
    rh.receive([&](verification&) { ++answered; }, [](caf::error& err) { FAIL(describe(err)); });
  }
  auto rh = f.self->request(router, caf::infinite, reference_atom_v, std::string{"b"});
  f.run();
  rh.receive([](kforge::timing_stats& t) { CHECK(t.median_ns == 1000); },
             [](caf::error& err) { FAIL(describe(err)); });
  CHECK(answered == 4);
  REQUIRE(log0->requests.size() == 2);
  REQUIRE(log1->requests.size() == 2);
  CHECK(log0->requests[0].task_id == "a");
  CHECK(log0->requests[1].task_id == "c");
  CHECK(log1->requests[0].task_id == "b");
  CHECK(log1->requests[1].task_id == "b");
  CHECK(log1->references == 1);
  CHECK(log0->references == 0);
  auto sh = f.self->request(router, caf::infinite, stats_atom_v);
  f.run();
  bool summed = false;  // the fakes report empty stats: the router answers once both have
  sh.receive([&](verifier_stats& s) { summed = s.completed == 0 && s.device.empty(); },
             [](caf::error& err) { FAIL(describe(err)); });
  CHECK(summed);
  f.self->send(router, drain_atom_v);
  f.run();
}

TEST_CASE("A grown task catalog keeps every task on its pool and deals the new ones on",
          "[actors][verifier]") {
  test::actor_fixture f;
  auto catalog = [](std::initializer_list<const char*> ids) {
    auto tasks = std::make_shared<kforge::task_map>();
    for (const char* id : ids) {
      kforge::task_def t;
      t.id = id;
      (*tasks)[id] = t;
    }
    return tasks;
  };
  auto judge = [](const std::string&) { return kforge::verdict{}; };
  auto log0 = std::make_shared<test::fake_verifier_log>();
  auto log1 = std::make_shared<test::fake_verifier_log>();
  auto router = spawn_verifier_router(f.sys,
                                      {test::spawn_fake_verifier(f.sys, judge, 1000, log0),
                                       test::spawn_fake_verifier(f.sys, judge, 1000, log1)},
                                      catalog({"b", "d"}));  // b -> 0, d -> 1
  // "a" and "c" sort before "b" and "d": by position they would move b and d to other pools.
  f.self->send(router, load_atom_v, std::shared_ptr<const kforge::task_map>{catalog({"a", "b", "c", "d"})});
  f.run();
  for (const char* id : {"b", "d", "a", "c"}) {
    auto rh = f.self->request(router, caf::infinite, verify_atom_v, verify_request{id, "h", "src"});
    f.run();
    rh.receive([](verification&) {}, [](caf::error& err) { FAIL(describe(err)); });
  }
  REQUIRE(log0->requests.size() == 2);
  REQUIRE(log1->requests.size() == 2);
  CHECK(log0->requests[0].task_id == "b");
  CHECK(log1->requests[0].task_id == "d");
  CHECK(log0->requests[1].task_id == "a");  // new tasks continue the round-robin
  CHECK(log1->requests[1].task_id == "c");
  f.self->send(router, drain_atom_v);
  f.run();
}
