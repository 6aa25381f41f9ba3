// Issue 16: the worker router (pools that join and get lost) and the registry's challenge.
#include "actors/verifier/worker_router.hpp"

#include "actors/verifier/remote_pool.hpp"
#include "actors/verifier/worker_registry.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_verifier.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace kforge;
using namespace kforge::actors;

namespace {

std::shared_ptr<const kforge::task_map> one_task() {
  auto tasks = std::make_shared<kforge::task_map>();
  kforge::task_def t;
  t.id = "a";
  t.backend = "cpu";
  t.definition_hash = "h-a";
  (*tasks)["a"] = t;
  return tasks;
}

kforge::verdict feasible(const std::string&) {
  kforge::verdict v;
  v.feasible = true;
  return v;
}

struct joined_pool {
  std::shared_ptr<test::fake_verifier_log> log = std::make_shared<test::fake_verifier_log>();
  verifier_actor pool;
  remote_pool_actor front;
};

joined_pool join(test::actor_fixture& f, const worker_router_actor& router, int32_t slots) {
  joined_pool p;
  p.pool = test::spawn_fake_verifier(f.sys, feasible, 1000, p.log);
  p.front = spawn_remote_pool(f.sys, p.pool, std::make_shared<const kforge::task_map>());
  worker_offer offer;
  offer.worker = "test";
  offer.device = "null";
  offer.slots = slots;
  offer.pool = caf::actor_cast<caf::actor>(p.front);
  auto rh = f.self->request(router, caf::infinite, join_atom_v, offer);
  f.run();
  rh.receive([](int64_t id) { CHECK(id > 0); }, [](caf::error& err) { FAIL(describe(err)); });
  return p;
}

}  // namespace

TEST_CASE("The worker router holds work until a pool joins, then sends the task's definition with it",
          "[actors][verifier][workers]") {
  test::actor_fixture f;
  auto router = spawn_worker_router(f.sys, one_task(), worker_router_config{});
  auto rh = f.self->request(router, caf::infinite, verify_atom_v, verify_request{"a", "c1", "src"});
  auto stopped = f.self->request(router, caf::infinite, verify_atom_v, verify_request{"a", "c9", "src"});
  f.run();
  f.self->send(router, stop_atom_v, std::string{"a"}, std::set<std::string>{"c9"});  // the task stops c9
  f.run();
  stopped.receive([](verification&) { FAIL("a stopped candidate was verified"); },
                  [](caf::error& err) { CHECK(code_of(err) == errc::cancelled); });
  auto p = join(f, router, 2);  // joins late: the queued candidate goes to it at once
  f.run();
  rh.receive([](verification& v) { CHECK(v.verdict.feasible); },
             [](caf::error& err) { FAIL(describe(err)); });
  REQUIRE(p.log->requests.size() == 1);
  CHECK(p.log->requests[0].cand_hash == "c1");
  auto ref = f.self->request(router, caf::infinite, reference_atom_v, std::string{"a"});
  f.run();
  ref.receive([](kforge::timing_stats& t) { CHECK(t.median_ns == 1000); },
              [](caf::error& err) { FAIL(describe(err)); });
  auto unknown = f.self->request(router, caf::infinite, verify_atom_v, verify_request{"zz", "c2", "src"});
  f.run();
  unknown.receive([](verification&) { FAIL("an unknown task was verified"); },
                  [](caf::error& err) { CHECK(code_of(err) == errc::bad_request); });
  f.self->send(router, drain_atom_v);
  f.run();
}

TEST_CASE("A pool lost with a candidate in flight costs nothing: another verifies it, once",
          "[actors][verifier][workers]") {
  test::actor_fixture f;
  auto router = spawn_worker_router(f.sys, one_task(), worker_router_config{});
  auto a = join(f, router, 1);
  auto b = join(f, router, 1);
  auto rh = f.self->request(router, caf::infinite, verify_atom_v, verify_request{"a", "c1", "src"});
  REQUIRE(f.run_once());  // the router deals c1 to a (a tie of free slots goes to the first pool)
  caf::anon_send_exit(a.front, caf::exit_reason::kill);  // a dies with c1 in flight
  f.run();
  int answers = 0;
  rh.receive([&](verification& v) { answers += v.verdict.feasible ? 1 : 0; },
             [](caf::error& err) { FAIL(describe(err)); });
  CHECK(answers == 1);
  // a's front forwarded c1 to its pool before the kill reached it, and its pool answered; but the
  // router had the down message of a's front first, dealt c1 to b and dropped a's late verdict.
  REQUIRE(a.log->requests.size() == 1);
  REQUIRE(b.log->requests.size() == 1);
  CHECK(b.log->requests[0].cand_hash == "c1");
  CHECK_FALSE(f.self->has_next_message());  // one answer, not two
  // The next candidate goes to b without waiting on a.
  auto next = f.self->request(router, caf::infinite, verify_atom_v, verify_request{"a", "c2", "src"});
  f.run();
  next.receive([](verification&) {}, [](caf::error& err) { FAIL(describe(err)); });
  CHECK(b.log->requests.size() == 2);
  f.self->send(router, drain_atom_v);
  f.run();
}

TEST_CASE("A pool that stops answering is lost at the heartbeat deadline and its candidate dealt again",
          "[actors][verifier][workers]") {
  test::actor_fixture f;
  worker_router_config cfg;
  cfg.heartbeat = std::chrono::milliseconds{1000};
  cfg.deadline = std::chrono::milliseconds{3000};
  auto router = spawn_worker_router(f.sys, one_task(), cfg);
  // A pool cut off from the network: it takes every request and answers none.
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  auto silent = f.sys.spawn([held](remote_pool_actor::pointer self) -> remote_pool_actor::behavior_type {
    auto hold = [self, held] {
      held->push_back(self->make_response_promise());
      return held->back();
    };
    return {
        [hold](verify_atom, remote_job&) -> caf::result<verification> { return hold(); },
        [hold](reference_atom, remote_job&) -> caf::result<kforge::timing_stats> { return hold(); },
        [hold](remeasure_atom, remote_job&, int32_t) -> caf::result<interleaved_timing> { return hold(); },
        [hold](stats_atom) -> caf::result<verifier_stats> { return hold(); },
        [](stop_atom, const std::string&, const std::string&) {},
    };
  });
  worker_offer offer;
  offer.worker = "silent";
  offer.device = "null";
  offer.slots = 2;
  offer.pool = caf::actor_cast<caf::actor>(silent);
  auto jh = f.self->request(router, caf::infinite, join_atom_v, offer);
  f.run();
  jh.receive([](int64_t) {}, [](caf::error& err) { FAIL(describe(err)); });
  auto rh = f.self->request(router, caf::infinite, verify_atom_v, verify_request{"a", "c1", "src"});
  f.run();
  CHECK(held->size() == 1);  // c1 is in flight on the silent pool
  auto b = join(f, router, 2);
  CHECK(b.log->requests.empty());  // it is not taken away while the silent pool may still answer
  f.advance(cfg.heartbeat);        // the heartbeat asks both pools for their stats
  f.run();
  CHECK(held->size() == 2);
  f.advance(cfg.deadline - std::chrono::milliseconds{1});  // just before the deadline: still there
  f.run();
  CHECK(b.log->requests.empty());
  f.advance(std::chrono::milliseconds{1});  // at the deadline: lost, c1 goes to b
  f.run();
  REQUIRE(b.log->requests.size() == 1);
  CHECK(b.log->requests[0].cand_hash == "c1");
  rh.receive([](verification& v) { CHECK(v.verdict.feasible); },
             [](caf::error& err) { FAIL(describe(err)); });
  f.self->send(router, drain_atom_v);
  f.self->send_exit(silent, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("The worker registry admits only a worker that proves the secret, each nonce once",
          "[actors][verifier][workers]") {
  test::actor_fixture f;
  const std::string secret = "0123456789abcdef-campaign-secret";
  auto router = spawn_worker_router(f.sys, one_task(), worker_router_config{});
  auto registry = spawn_worker_registry(f.sys, secret, router);
  auto challenge = [&](const std::string& mine) {
    join_challenge out;
    auto rh = f.self->request(registry, caf::infinite, join_atom_v, mine);
    f.run();
    rh.receive([&](join_challenge& c) { out = c; }, [](caf::error& err) { FAIL(describe(err)); });
    return out;
  };
  auto log = std::make_shared<test::fake_verifier_log>();
  auto front = spawn_remote_pool(f.sys, test::spawn_fake_verifier(f.sys, feasible, 1000, log),
                                 std::make_shared<const kforge::task_map>());
  auto offer_for = [&](const std::string& nonce, const std::string& key) {
    worker_offer o;
    o.nonce = nonce;
    o.answer = join_answer(key, "worker", nonce);
    o.worker = "test";
    o.device = "null";
    o.pool = caf::actor_cast<caf::actor>(front);
    return o;
  };
  auto offer = [&](worker_offer o) {
    caf::error out;
    auto rh = f.self->request(registry, caf::infinite, join_atom_v, std::move(o));
    f.run();
    rh.receive([](int64_t id) { CHECK(id > 0); }, [&](caf::error& err) { out = err; });
    return out;
  };

  auto c1 = challenge("worker-nonce-0001");
  CHECK(c1.proof == join_answer(secret, "coordinator", "worker-nonce-0001"));  // the coordinator's proof
  CHECK(c1.proof != join_answer("another-secret-entirely", "coordinator", "worker-nonce-0001"));
  CHECK(code_of(offer(offer_for(c1.nonce, "another-secret-entirely"))) == errc::refused);
  CHECK(code_of(offer(offer_for(c1.nonce, secret))) == errc::refused);  // the nonce was used up
  CHECK(code_of(offer(offer_for("a-nonce-never-handed-out", secret))) == errc::refused);
  auto c2 = challenge("worker-nonce-0002");
  CHECK(c2.nonce != c1.nonce);
  CHECK_FALSE(offer(offer_for(c2.nonce, secret)));
  auto short_nonce = f.self->request(registry, caf::infinite, join_atom_v, std::string{"short"});
  f.run();
  short_nonce.receive([](join_challenge&) { FAIL("a short nonce was accepted"); },
                      [](caf::error& err) { CHECK(code_of(err) == errc::bad_request); });
  // The joined pool takes work.
  auto rh = f.self->request(router, caf::infinite, verify_atom_v, verify_request{"a", "c1", "src"});
  f.run();
  rh.receive([](verification&) {}, [](caf::error& err) { FAIL(describe(err)); });
  CHECK(log->requests.size() == 1);
  f.self->send_exit(registry, caf::exit_reason::user_shutdown);
  f.self->send(router, drain_atom_v);
  f.run();
}
