// The pool's defences against progress made of noise and flags: a flagged speedup is run once
// more in a fresh process and is `suspect` unless it holds; a candidate whose machine code
// equals an earlier one's gets that verdict; compiles and timed runs can be kept apart. On
// CAF's testing scheduler over the scripted fake backend.

#include "actors/verifier/verifier_actor.hpp"
#include "actors/verifier/verify_schedule.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_backend.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/schedule_steps.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <optional>

using namespace kforge;
using namespace kforge::actors;

namespace {

struct gains_fixture : test::actor_fixture {
  std::shared_ptr<test::fake_backend> backend = std::make_shared<test::fake_backend>();
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  verifier_config vcfg;
  verifier_actor verifier;

  gains_fixture() {
    (*tasks)["t1"] = test::knob_task("t1");
    vcfg.detached = false;
    vcfg.flag_speedup = 10;
    vcfg.noise = 0.10;
  }

  ~gains_fixture() {
    if (verifier) {
      self->send(verifier, drain_atom_v);
      run();
    }
  }

  void start() { verifier = spawn_verifier(sys, backend, tasks, vcfg); }

  verification verify(const std::string& cand, const std::string& source) {
    std::optional<verification> out;
    auto h = self->request(verifier, caf::infinite, verify_atom_v, verify_request{"t1", cand, source});
    run();
    h.receive([&](verification& v) { out = std::move(v); }, [](caf::error& err) { FAIL(describe(err)); });
    REQUIRE(out);
    return *out;
  }

  verifier_stats stats() {
    verifier_stats out;
    auto h = self->request(verifier, caf::infinite, stats_atom_v);
    run();
    h.receive([&](verifier_stats& s) { out = s; }, [](caf::error& err) { FAIL(describe(err)); });
    return out;
  }
};

// The n-th run (0-based) of the fake gets median_ns[n] (the last one repeats).
auto scripted_runs(std::vector<double> medians) {
  auto n = std::make_shared<std::atomic<size_t>>(0);
  return [=](const kforge::task_def&, const hardware::build_result&) -> caf::expected<kforge::verdict> {
    auto i = std::min(n->fetch_add(1), medians.size() - 1);
    auto v = test::timed_verdict(medians[i]);
    v.reference_ns = 1000;
    return v;
  };
}

}  // namespace

TEST_CASE_METHOD(gains_fixture, "a flagged speedup that does not hold in a fresh process is suspect",
                 "[actors]") {
  // An output cache: 20x on the inputs it has seen, the honest 1x on fresh ones.
  backend->on_run = scripted_runs({50, 1000});
  start();
  auto v = verify("c1", "cached");
  CHECK(v.verdict.is_suspect());
  CHECK(v.verdict.failed_gate == gate_suspect);
  CHECK_FALSE(v.verdict.is_timed());
  CHECK(v.verdict.feasible);
  CHECK(v.verdict.gates.back().detail.find("did not hold") != std::string::npos);
  CHECK(v.verdict.gates.back().detail.find("0.050 us, then 1.000 us") != std::string::npos);
  CHECK(backend->count("run ") == 2);
  auto s = stats();
  CHECK(s.remeasured == 1);
  CHECK(s.suspect == 1);
}

TEST_CASE_METHOD(gains_fixture, "a flagged speedup that holds is answered with the slower figure",
                 "[actors]") {
  backend->on_run = scripted_runs({50, 52});
  start();
  auto v = verify("c1", "fast");
  CHECK(v.verdict.is_timed());
  CHECK(v.verdict.timing.median_ns == 52);
  CHECK(v.verdict.first_timing.median_ns == 50);
  CHECK(v.verdict.gates.back().detail.find("(held)") != std::string::npos);
  CHECK(backend->count("run ") == 2);
  CHECK(stats().suspect == 0);
}

TEST_CASE_METHOD(gains_fixture, "a flagged speedup measured faster the second time holds", "[actors]") {
  // The second, fresh-process run is 30 % faster (a quieter moment): that confirms the speedup.
  backend->on_run = scripted_runs({50, 35});
  start();
  auto v = verify("c1", "fast");
  CHECK(v.verdict.is_timed());
  CHECK(v.verdict.timing.median_ns == 50);
  CHECK(v.verdict.gates.back().detail.find("(held)") != std::string::npos);
  CHECK(stats().suspect == 0);
}

TEST_CASE_METHOD(gains_fixture, "a flagged kernel that fails on the second run fails", "[actors]") {
  auto n = std::make_shared<int>(0);
  backend->on_run = [n](const kforge::task_def&,
                        const hardware::build_result&) -> caf::expected<kforge::verdict> {
    if ((*n)++ == 0) {
      auto v = test::timed_verdict(10);
      v.reference_ns = 1000;
      return v;
    }
    return failed_verdict(gate_correctness, "seed 3, y[0] = 7 where 1 was expected", "cpu");
  };
  start();
  auto v = verify("c1", "cache");
  CHECK(v.verdict.failed_gate == gate_correctness);
}

TEST_CASE_METHOD(gains_fixture, "a speedup below the review threshold is run once", "[actors]") {
  backend->on_run = scripted_runs({500, 5000});
  start();
  auto v = verify("c1", "plain");
  CHECK(v.verdict.is_timed());
  CHECK(v.verdict.timing.median_ns == 500);
  CHECK(backend->count("run ") == 1);
}

TEST_CASE_METHOD(gains_fixture, "identical machine code reuses the earlier verdict instead of a new timing",
                 "[actors]") {
  // Two sources, one object (a renamed variable, a comment); a third source compiles differently.
  backend->on_compile = [](const kforge::task_def&, const std::string& source, const std::string& cand) {
    hardware::build_result b;
    b.ok = true;
    b.binary = "bin/" + cand;
    b.wall_ms = 1;
    b.object_hash = source == "other" ? "obj-2" : "obj-1";
    return caf::expected<hardware::build_result>{b};
  };
  backend->on_run = scripted_runs({790, 660, 640});
  start();
  auto a = verify("c1", "MR=2");
  auto b = verify("c2", "MR=3");
  CHECK(a.verdict.timing.median_ns == 790);
  CHECK(b.verdict.timing.median_ns == 790);  // not 660: the same code is not timed again
  CHECK(backend->count("run ") == 1);
  CHECK(backend->count("discard bin/c2") == 1);  // its binary is released at once
  auto c = verify("c3", "other");
  CHECK(c.verdict.timing.median_ns == 660);
  CHECK(stats().object_hits == 1);
}

TEST_CASE_METHOD(gains_fixture, "the object cache can be turned off", "[actors]") {
  vcfg.object_cache = false;
  backend->on_compile = [](const kforge::task_def&, const std::string&, const std::string& cand) {
    hardware::build_result b;
    b.ok = true;
    b.binary = "bin/" + cand;
    b.object_hash = "same";
    return caf::expected<hardware::build_result>{b};
  };
  backend->on_run = scripted_runs({790, 660});
  start();
  verify("c1", "a");
  CHECK(verify("c2", "b").verdict.timing.median_ns == 660);
  CHECK(stats().object_hits == 0);
}

TEST_CASE("quiet runs keep compiles and timed runs apart", "[actors]") {
  verify_schedule s{2, 16};
  s.set_quiet_runs(true);
  s.add(1, "t");
  s.add(2, "t");
  s.add(3, "t");
  test::build_reference(s, "t");
  REQUIRE(s.start_run().what == run_pick::kind::reference);
  CHECK(s.pick_compiles().empty());  // the reference is being timed
  (void)s.prepared("t", true);
  s.run_done();
  auto picks = s.pick_compiles();
  REQUIRE(picks.size() == 2);
  s.compile_started(picks[0].slot);
  s.compile_started(picks[1].slot);
  s.compile_done(picks[0].slot);
  s.compiled(picks[0].job);
  CHECK(s.start_run().what == run_pick::kind::idle);  // a compile still runs beside it
  CHECK(s.pick_compiles().empty());                   // and no new one starts while a run waits
  s.compile_done(picks[1].slot);
  s.compiled(picks[1].job);
  auto r = s.start_run();
  CHECK(r.what == run_pick::kind::candidate);
  CHECK(s.pick_compiles().empty());  // job 3 waits for the runs
  s.run_done();
  CHECK(s.start_run().what == run_pick::kind::candidate);
  s.run_done();
  auto last = s.pick_compiles();
  REQUIRE(last.size() == 1);
  CHECK(last[0].job == 3);
}

TEST_CASE("without quiet runs a compile overlaps a timed run", "[actors]") {
  verify_schedule s{1, 16};
  s.add(1, "t");
  s.add(2, "t");
  test::build_reference(s, "t");
  REQUIRE(s.start_run().what == run_pick::kind::reference);
  (void)s.prepared("t", true);
  s.run_done();
  auto p = s.pick_compiles();
  REQUIRE(p.size() == 1);
  s.compile_started(p[0].slot);
  s.compile_done(p[0].slot);
  s.compiled(p[0].job);
  CHECK(s.start_run().what == run_pick::kind::candidate);
  CHECK(s.pick_compiles().size() == 1);
}
