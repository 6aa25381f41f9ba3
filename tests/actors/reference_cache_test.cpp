// References prepared like candidates and cached in the store: the pool over a scripted fake
// backend, a real store and curator, on CAF's testing scheduler. No compiler, no real clock:
// the retry backoff moves only with the fixture clock.

#include "actors/curator/curator_actor.hpp"
#include "actors/verifier/verifier_actor.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_backend.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_store.hpp"

#include <caf/event_based_actor.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

using namespace kforge;
using namespace kforge::actors;

namespace {

struct cache_fixture : test::actor_fixture {
  test::temp_store db{std::size_t{4} << 20U};
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  verifier_config vcfg;
  retriever_actor retriever;
  curator_actor curator;

  cache_fixture() {
    for (const auto* id : {"t1", "t2", "t3", "t4"})
      (*tasks)[id] = test::knob_task(id);
    vcfg.detached = false;  // the testing scheduler runs the workers too
    vcfg.reference_backoff = std::chrono::milliseconds{1000};
    start_memory();
  }

  ~cache_fixture() { stop_memory(); }

  void start_memory() {
    retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
    curator = spawn_curator(sys, db.store(), retriever, curator_config{}, false);
  }

  void stop_memory() {
    self->send_exit(curator, caf::exit_reason::user_shutdown);
    self->send_exit(retriever, caf::exit_reason::user_shutdown);
    run();
  }

  // A kforge process ends and another starts on the same store directory.
  void restart() {
    stop_memory();
    db.reopen();
    start_memory();
  }

  verifier_actor pool(const std::shared_ptr<test::fake_backend>& backend,
                      std::shared_ptr<const kforge::task_map> catalog = nullptr) {
    return spawn_verifier(sys, backend, catalog ? catalog : tasks, vcfg, &db.store(), curator);
  }

  void drain(verifier_actor& v) {
    self->send(v, drain_atom_v);
    run();
  }

  std::optional<verification> verify(verifier_actor& v, const std::string& task_id, const std::string& cand) {
    auto h = self->request(v, caf::infinite, verify_atom_v, verify_request{task_id, cand, "src " + cand});
    run();
    std::optional<verification> out;
    h.receive([&](verification& got) { out = std::move(got); },
              [](caf::error& err) { FAIL("verify failed: " << describe(err)); });
    return out;
  }

  verifier_stats stats(verifier_actor& v) {
    verifier_stats out;
    auto h = self->request(v, caf::infinite, stats_atom_v);
    run();
    h.receive([&](verifier_stats& s) { out = s; }, [](caf::error& err) { FAIL(describe(err)); });
    return out;
  }

  std::optional<memory::reference_record> stored(const std::string& task_id) {
    auto tx = db.store().read();
    REQUIRE(tx);
    test::fake_backend probe;  // the pools' backends: device "cpu", signature "fake/cpu"
    auto rec = memory::get_reference(*tx, reference_signature(probe), "cpu", task_id);
    if (!rec)
      return std::nullopt;
    return std::move(*rec);
  }
};

std::ptrdiff_t position(const test::fake_backend& b, const std::string& call) {
  auto calls = b.calls();
  auto it = std::find(calls.begin(), calls.end(), call);
  return it == calls.end() ? -1 : std::distance(calls.begin(), it);
}

kforge::timing_stats timed(double ns) {
  kforge::timing_stats t;
  t.median_ns = ns;
  t.min_ns = ns;
  t.mean_ns = ns;
  t.count = 10;
  return t;
}

}  // namespace

TEST_CASE_METHOD(cache_fixture,
                 "a prepared reference is restored after a restart without being prepared again",
                 "[actors]") {
  auto first = std::make_shared<test::fake_backend>();
  first->on_prepare = [](const kforge::task_def&) -> caf::expected<kforge::timing_stats> {
    return timed(1234);
  };
  auto a = pool(first);
  REQUIRE(verify(a, "t1", "c1"));
  CHECK(first->count("prepare t1") == 1);
  CHECK(stats(a).reference_runs == 1);
  drain(a);
  auto rec = stored("t1");
  REQUIRE(rec);  // written by the curator, on disk
  CHECK(rec->reference_hash == tasks->at("t1").reference_hash);
  CHECK(rec->timing.median_ns == 1234);

  restart();
  auto second = std::make_shared<test::fake_backend>();
  auto b = pool(second);
  auto v = verify(b, "t1", "c2");
  REQUIRE(v);
  CHECK(v->verdict.feasible);
  // Restored on the compile worker: no timed run of the reference in this process.
  CHECK(second->calls() ==
        std::vector<std::string>{"restore t1", "hack t1", "compile t1 c2", "run t1 bin/c2"});
  auto s = stats(b);
  CHECK(s.reference_cache_hits == 1);
  CHECK(s.reference_runs == 0);
  auto ref = self->request(b, caf::infinite, reference_atom_v, std::string{"t1"});
  run();
  ref.receive([](kforge::timing_stats& t) { CHECK(t.median_ns == 1234); },
              [](caf::error& err) { FAIL(describe(err)); });
  drain(b);

  SECTION("with the cache off the reference is prepared again") {
    vcfg.reference_cache = false;
    auto third = std::make_shared<test::fake_backend>();
    auto c = pool(third);
    REQUIRE(verify(c, "t1", "c3"));
    CHECK(third->count("build t1") == 1);
    CHECK(third->count("prepare t1") == 1);
    drain(c);
  }
}

TEST_CASE_METHOD(cache_fixture,
                 "a cached reference of another reference hash is replaced; an edit of the knobs keeps it",
                 "[actors]") {
  auto first = std::make_shared<test::fake_backend>();
  auto a = pool(first);
  REQUIRE(verify(a, "t1", "c1"));
  drain(a);
  REQUIRE(stored("t1"));
  auto changed = std::make_shared<kforge::task_map>(*tasks);
  auto second = std::make_shared<test::fake_backend>();

  SECTION("another reference hash: built, run and stored again") {
    changed->at("t1").reference_hash = "ref-t1-v2";
    auto b = pool(second, changed);
    REQUIRE(verify(b, "t1", "c2"));
    CHECK(position(*second, "restore t1") == -1);
    CHECK(second->count("build t1") == 1);
    CHECK(second->count("prepare t1") == 1);
    auto s = stats(b);
    CHECK(s.reference_stale == 1);
    CHECK(s.reference_cache_hits == 0);
    drain(b);
    auto rec = stored("t1");
    REQUIRE(rec);
    CHECK(rec->reference_hash == "ref-t1-v2");
  }
  SECTION("another definition hash only (knobs, template): restored") {
    changed->at("t1").definition_hash = "def-t1-new-knobs";
    auto b = pool(second, changed);
    REQUIRE(verify(b, "t1", "c2"));
    CHECK(second->count("prepare t1") == 0);
    auto s = stats(b);
    CHECK(s.reference_cache_hits == 1);
    CHECK(s.reference_stale == 0);
  }
}

TEST_CASE_METHOD(cache_fixture, "a reference that times out is retried after a backoff", "[actors]") {
  auto backend = std::make_shared<test::fake_backend>();
  auto failures = std::make_shared<int>(2);
  backend->on_prepare = [failures](const kforge::task_def&) -> caf::expected<kforge::timing_stats> {
    if (*failures > 0) {
      --*failures;
      return make_error(errc::timed_out, "scripted: the reference ran past its wall clock");
    }
    return timed(1000);
  };
  auto v = pool(backend);
  auto h = self->request(v, caf::infinite, verify_atom_v, verify_request{"t1", "c1", "src"});
  run();
  CHECK(backend->count("prepare t1") == 1);
  CHECK(backend->count("compile ") == 0);
  advance(std::chrono::milliseconds{999});  // just before the first backoff
  run();
  CHECK(backend->count("prepare t1") == 1);
  advance(std::chrono::milliseconds{1});
  run();
  CHECK(backend->count("prepare t1") == 2);
  advance(std::chrono::milliseconds{2000});  // doubled
  run();
  CHECK(backend->count("prepare t1") == 3);
  h.receive([](verification& got) { CHECK(got.verdict.feasible); },
            [](caf::error& err) { FAIL(describe(err)); });
  CHECK(stats(v).reference_retries == 2);
  drain(v);
}

TEST_CASE_METHOD(cache_fixture, "a reference build that times out on the compile stage is retried too",
                 "[actors]") {
  auto backend = std::make_shared<test::fake_backend>();
  auto failures = std::make_shared<int>(1);
  backend->on_build = [failures](const kforge::task_def& t,
                                 const std::string&) -> caf::expected<hardware::reference_build> {
    if (*failures > 0) {
      --*failures;
      return make_error(errc::timed_out, "scripted: the harness compile ran past its wall clock");
    }
    hardware::reference_build b;
    b.program.ok = true;
    b.program.binary = "bin/reference-" + t.id;
    return b;
  };
  auto v = pool(backend);
  auto h = self->request(v, caf::infinite, reference_atom_v, std::string{"t1"});
  run();
  CHECK(backend->count("build t1") == 1);
  CHECK(backend->count("prepare t1") == 0);  // nothing built: nothing to run
  advance(std::chrono::milliseconds{1000});
  run();
  CHECK(backend->count("build t1") == 2);
  CHECK(backend->count("prepare t1") == 1);
  h.receive([](kforge::timing_stats& t) { CHECK(t.median_ns == 1000); },
            [](caf::error& err) { FAIL(describe(err)); });
  drain(v);
}

TEST_CASE_METHOD(cache_fixture, "a reference that keeps timing out is given up for now, not for good",
                 "[actors]") {
  auto backend = std::make_shared<test::fake_backend>();
  auto timing_out = std::make_shared<bool>(true);
  backend->on_prepare = [timing_out](const kforge::task_def&) -> caf::expected<kforge::timing_stats> {
    if (*timing_out)
      return make_error(errc::timed_out, "scripted");
    return timed(1000);
  };
  auto v = pool(backend);
  auto h = self->request(v, caf::infinite, verify_atom_v, verify_request{"t1", "c1", "src"});
  run();
  advance(std::chrono::milliseconds{1000});
  run();
  advance(std::chrono::milliseconds{2000});
  run();
  CHECK(backend->count("prepare t1") == 3);  // reference_attempts
  errc code = errc::none;
  h.receive([](verification&) { FAIL("a verdict without a reference"); },
            [&](caf::error& err) { code = code_of(err); });
  CHECK(code == errc::timed_out);
  // Not ended for good: the next request (a resume's) prepares it again.
  *timing_out = false;
  auto again = verify(v, "t1", "c2");
  REQUIRE(again);
  CHECK(again->verdict.feasible);
  CHECK(backend->count("prepare t1") == 4);
  drain(v);

  SECTION("a failure that is not transient is not retried") {
    auto broken = std::make_shared<test::fake_backend>();
    broken->on_prepare = [](const kforge::task_def&) -> caf::expected<kforge::timing_stats> {
      return make_error(errc::reference_failed, "scripted: NaN outputs");
    };
    auto p = pool(broken);
    auto r = self->request(p, caf::infinite, reference_atom_v, std::string{"t2"});
    run();
    advance(std::chrono::milliseconds{10'000});
    run();
    CHECK(broken->count("prepare t2") == 1);
    r.receive([](kforge::timing_stats&) { FAIL("a failed reference has no timing"); },
              [](caf::error& err) { CHECK(code_of(err) == errc::reference_failed); });
    drain(p);
  }
}

TEST_CASE_METHOD(cache_fixture,
                 "the first task's candidate is verified before the last reference is prepared", "[actors]") {
  // Four tasks start at once; each asks for its reference, then verifies a candidate, as task
  // actors do. References used to be prepared one after another before any candidate ran.
  auto backend = std::make_shared<test::fake_backend>();
  auto v = pool(backend);
  caf::actor sink = self;
  for (const auto* id : {"t1", "t2", "t3", "t4"}) {
    std::string task_id = id;
    sys.spawn([v, sink, task_id](caf::event_based_actor* a) {
      a->request(v, caf::infinite, reference_atom_v, task_id).then([=](kforge::timing_stats&) {
        a->request(v, caf::infinite, verify_atom_v, verify_request{task_id, "c-" + task_id, "src " + task_id})
            .then([=](verification&) { a->send(sink, task_id); });
      });
    });
  }
  run();
  std::vector<std::string> verified;
  for (int i = 0; i < 4; ++i)
    self->receive([&](const std::string& id) { verified.push_back(id); });
  CHECK(verified.front() == "t1");
  auto first_run = position(*backend, "run t1 bin/c-t1");
  auto last_reference = position(*backend, "prepare t4");
  REQUIRE(first_run >= 0);
  REQUIRE(last_reference >= 0);
  CHECK(first_run < last_reference);
  drain(v);
}
