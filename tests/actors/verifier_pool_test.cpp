// The verifier pool's queue-full, drain and cancel paths, on CAF's testing scheduler over a
// scripted fake backend: no compiler, no device, no real clock.

#include "actors/verifier/verifier_actor.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_backend.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

using namespace kforge;
using namespace kforge::actors;

namespace {

struct pool_fixture : test::actor_fixture {
  std::shared_ptr<test::fake_backend> backend = std::make_shared<test::fake_backend>();
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  verifier_config vcfg;
  verifier_actor verifier;

  pool_fixture() {
    (*tasks)["t1"] = test::knob_task("t1");
    (*tasks)["t2"] = test::knob_task("t2");
    vcfg.detached = false;  // the testing scheduler runs the workers too
  }

  ~pool_fixture() {
    if (verifier) {
      self->send(verifier, drain_atom_v);
      run();
    }
  }

  void start() { verifier = spawn_verifier(sys, backend, tasks, vcfg); }

  auto ask(const std::string& task_id, const std::string& cand, const std::string& source) {
    return self->request(verifier, caf::infinite, verify_atom_v, verify_request{task_id, cand, source});
  }

  // The index of `call` in the fake's record, or -1.
  std::ptrdiff_t position(const std::string& call) const {
    auto calls = backend->calls();
    auto it = std::find(calls.begin(), calls.end(), call);
    return it == calls.end() ? -1 : std::distance(calls.begin(), it);
  }
};

template <class Handle>
std::optional<verification> verdict_of(Handle& h) {
  std::optional<verification> out;
  h.receive([&](verification& v) { out = std::move(v); }, [](caf::error&) {});
  return out;
}

template <class Handle>
errc error_of(Handle& h) {
  errc out = errc::none;
  h.receive([](verification&) {}, [&](caf::error& err) { out = code_of(err); });
  return out;
}

}  // namespace

TEST_CASE_METHOD(pool_fixture, "the pool prepares, compiles and runs through the backend interface",
                 "[actors]") {
  start();
  auto a = ask("t1", "c1", "a");
  run();
  auto v = verdict_of(a);
  REQUIRE(v);
  CHECK(v->verdict.feasible);
  CHECK(v->verdict.compile_ms == 1);
  CHECK(backend->calls() ==
        std::vector<std::string>{"build t1", "prepare t1", "hack t1", "compile t1 c1", "run t1 bin/c1"});
}

TEST_CASE_METHOD(pool_fixture, "a full queue answers queue_full and keeps what it holds", "[actors]") {
  vcfg.max_queue = 1;
  start();
  // a waits in the compile queue for t1's reference when b arrives.
  auto a = ask("t1", "ca", "a");
  auto b = ask("t1", "cb", "b");
  run();
  CHECK(verdict_of(a));
  CHECK(error_of(b) == errc::queue_full);
  CHECK(backend->count("compile ") == 1);

  SECTION("the queue takes work again once it has room") {
    auto c = ask("t1", "cc", "c");
    run();
    auto v = verdict_of(c);
    REQUIRE(v);
    CHECK(v->verdict.feasible);
    CHECK(backend->count("compile ") == 2);
  }
  SECTION("a duplicate of queued work joins it instead of being refused") {
    auto d = ask("t2", "cd", "d");
    auto e = ask("t2", "ce", "d");
    run();
    CHECK(verdict_of(d));
    CHECK(verdict_of(e));
    CHECK(backend->count("compile t2") == 1);
  }
}

TEST_CASE_METHOD(pool_fixture, "a draining pool answers its queued work, refuses new work and stops",
                 "[actors]") {
  start();
  auto a = ask("t1", "ca", "a");
  self->send(verifier, drain_atom_v);
  auto b = ask("t1", "cb", "b");
  run();
  auto v = verdict_of(a);
  REQUIRE(v);
  CHECK(v->verdict.feasible);
  CHECK(error_of(b) == errc::cancelled);
  // The binary kept for re-runs is removed when the pool stops.
  CHECK(position("discard bin/ca") > position("run t1 bin/ca"));
  auto s = self->request(verifier, caf::infinite, stats_atom_v);
  run();
  bool down = false;
  s.receive([](verifier_stats&) {}, [&](caf::error&) { down = true; });
  CHECK(down);
  verifier = nullptr;
}

TEST_CASE_METHOD(pool_fixture, "a failed reference cancels the task's queued candidates", "[actors]") {
  backend->on_prepare = [](const kforge::task_def& t) -> caf::expected<kforge::timing_stats> {
    if (t.id == "t1")
      return make_error(errc::reference_failed, "scripted");
    kforge::timing_stats ok;
    ok.median_ns = 1000;
    ok.count = 10;
    return ok;
  };
  start();
  auto a = ask("t1", "ca", "a");
  auto b = ask("t1", "cb", "b");
  auto other = ask("t2", "co", "o");
  auto ref = self->request(verifier, caf::infinite, reference_atom_v, std::string{"t1"});
  run();
  CHECK(error_of(a) == errc::reference_failed);
  CHECK(error_of(b) == errc::reference_failed);
  CHECK(verdict_of(other));
  errc ref_code = errc::none;
  ref.receive([](kforge::timing_stats&) {}, [&](caf::error& err) { ref_code = code_of(err); });
  CHECK(ref_code == errc::reference_failed);
  CHECK(backend->count("compile t1") == 0);
  CHECK(backend->count("prepare t1") == 1);

  SECTION("a later candidate of the task is answered at once, without a new preparation") {
    auto c = ask("t1", "cc", "c");
    run();
    CHECK(error_of(c) == errc::reference_failed);
    CHECK(backend->count("prepare t1") == 1);
  }
}

TEST_CASE_METHOD(pool_fixture, "a worker whose catalog lost a task answers bad_request instead of throwing",
                 "[actors]") {
  start();
  // a is queued behind t1's reference; the catalog that follows lacks t1, so the compile
  // worker gets it before a's compile.
  auto a = ask("t1", "ca", "a");
  self->send(verifier, load_atom_v,
             std::shared_ptr<const kforge::task_map>{std::make_shared<kforge::task_map>()});
  run();
  // Before the fix the worker threw, the pool died with it and no reply came: check first.
  REQUIRE_FALSE(self->mailbox().empty());
  CHECK(error_of(a) == errc::bad_request);
  // The pool is still up.
  auto s = self->request(verifier, caf::infinite, stats_atom_v);
  run();
  bool up = false;
  s.receive([&](verifier_stats& st) { up = st.device == "cpu"; }, [](caf::error&) {});
  CHECK(up);
}

TEST_CASE_METHOD(pool_fixture, "a compile error is a verdict at the compile gate, not an error", "[actors]") {
  backend->on_compile = [](const kforge::task_def&, const std::string&,
                           const std::string&) -> caf::expected<hardware::build_result> {
    hardware::build_result b;
    b.ok = false;
    b.output = "error: oops";
    b.wall_ms = 2;
    return b;
  };
  start();
  auto a = ask("t1", "ca", "a");
  run();
  auto v = verdict_of(a);
  REQUIRE(v);
  CHECK(v->verdict.failed_gate == "compile");
  CHECK(backend->count("run ") == 0);
}

TEST_CASE_METHOD(pool_fixture, "gate 1 runs on a compile worker, never in the pool actor", "[actors]") {
  SECTION("a refused source gets the hack verdict there, and nothing is compiled") {
    start();
    auto a = ask("t1", "ca", "HACK here");
    run();
    auto v = verdict_of(a);
    REQUIRE(v);
    CHECK(v->verdict.failed_gate == kforge::gate_hack);
    REQUIRE_FALSE(v->verdict.gates.empty());
    CHECK(v->verdict.gates.back().detail == "scripted hack");
    CHECK(backend->count("hack t1") == 1);
    CHECK(backend->count("compile ") == 0);
    CHECK(position("hack t1") > position("prepare t1"));  // a compile slot's work, after the reference
  }
  SECTION("a full queue refuses without running the gate") {
    vcfg.max_queue = 1;
    backend->on_prepare = [](const kforge::task_def&) -> caf::expected<kforge::timing_stats> {
      return make_error(errc::reference_failed, "scripted");  // nothing ever leaves the queue
    };
    start();
    auto a = ask("t1", "ca", "a");
    auto b = ask("t1", "cb", "HACK b");
    run();
    CHECK(error_of(b) == errc::queue_full);
    CHECK(error_of(a) == errc::reference_failed);
    CHECK(backend->count("hack ") == 0);
  }
}
