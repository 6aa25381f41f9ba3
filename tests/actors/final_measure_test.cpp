// The final re-measurement: when a task ends, its best and its reference are built once and run
// alternately in fresh processes on the pool's run stage, and the task records the figure beside
// the campaign's, once per best. The pool on CAF's testing scheduler over the scripted fake
// backend; the task actor with the real curator over a temp store and the scripted verifier.

#include "actors/task/task_actor.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "actors/verifier/verify_schedule.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_backend.hpp"
#include "tests/support/fake_verifier.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/schedule_steps.hpp"
#include "tests/support/temp_store.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <catch2/catch.hpp>

#include <optional>

using namespace kforge;
using namespace kforge::actors;

namespace {

struct measure_fixture : test::actor_fixture {
  std::shared_ptr<test::fake_backend> backend = std::make_shared<test::fake_backend>();
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  verifier_config vcfg;
  verifier_actor verifier;

  measure_fixture() {
    (*tasks)["t1"] = test::knob_task("t1");
    vcfg.detached = false;
  }

  ~measure_fixture() {
    if (verifier) {
      self->send(verifier, drain_atom_v);
      run();
    }
  }

  void start() { verifier = spawn_verifier(sys, backend, tasks, vcfg); }

  caf::expected<interleaved_timing> remeasure(const std::string& task_id, int32_t rounds) {
    std::optional<caf::expected<interleaved_timing>> out;
    auto h = self->request(verifier, caf::infinite, remeasure_atom_v, verify_request{task_id, "b1", "best"},
                           rounds);
    run();
    REQUIRE_FALSE(self->mailbox().empty());  // answered: a lost reply fails here, it does not hang
    h.receive([&](interleaved_timing& t) { out = std::move(t); }, [&](caf::error& err) { out = err; });
    REQUIRE(out);
    return *out;
  }
};

// Runs of the reference binary get `ref[i]`, of the best `best[i]`, in their own order.
auto by_binary(std::vector<double> ref, std::vector<double> best) {
  auto n_ref = std::make_shared<size_t>(0);
  auto n_best = std::make_shared<size_t>(0);
  return [=](const kforge::task_def&, const hardware::build_result& b) -> caf::expected<kforge::verdict> {
    bool is_ref = b.binary.find("-ref") != std::string::npos;
    auto& n = is_ref ? *n_ref : *n_best;
    const auto& xs = is_ref ? ref : best;
    return test::timed_verdict(xs[std::min(n++, xs.size() - 1)]);
  };
}

}  // namespace

TEST_CASE_METHOD(measure_fixture,
                 "the final measurement runs reference and best alternately in fresh processes", "[actors]") {
  backend->on_run = by_binary({1000, 1300, 1010}, {100, 90, 400});
  start();
  auto t = remeasure("t1", 3);
  REQUIRE(t);
  CHECK(t->rounds == 3);
  CHECK(t->reference_ns == 1010);  // medians of the per-run medians, not one lucky run
  CHECK(t->candidate_ns == 100);
  CHECK(t->detail.empty());
  // Prepared first (the backend builds nothing it has not prepared), each built once, then
  // ref/best, best/ref, ref/best; both binaries removed afterwards.
  std::vector<std::string> expected = {"build t1",
                                       "prepare t1",
                                       "compile t1 final-b1-ref",
                                       "compile t1 final-b1-best",
                                       "run t1 bin/final-b1-ref",
                                       "run t1 bin/final-b1-best",
                                       "run t1 bin/final-b1-best",
                                       "run t1 bin/final-b1-ref",
                                       "run t1 bin/final-b1-ref",
                                       "run t1 bin/final-b1-best",
                                       "discard bin/final-b1-ref",
                                       "discard bin/final-b1-best"};
  CHECK(backend->calls() == expected);
}

TEST_CASE_METHOD(measure_fixture, "a best that fails a gate in its final measurement has no figure",
                 "[actors]") {
  backend->on_run = [](const kforge::task_def&,
                       const hardware::build_result& b) -> caf::expected<kforge::verdict> {
    if (b.binary.find("-ref") != std::string::npos)
      return test::timed_verdict(1000);
    return test::failed(kforge::gate_correctness);
  };
  start();
  auto t = remeasure("t1", 3);
  REQUIRE(t);
  CHECK(t->candidate_ns == 0);
  CHECK(t->rounds == 1);  // the first failure ends it
  CHECK(t->detail.find(kforge::gate_correctness) == 0);
}

TEST_CASE_METHOD(measure_fixture, "a reference that cannot be built as a candidate is an error, not a figure",
                 "[actors]") {
  backend->on_compile = [](const kforge::task_def&, const std::string&,
                           const std::string& cand) -> caf::expected<hardware::build_result> {
    hardware::build_result b;
    b.ok = cand.find("-ref") == std::string::npos;
    b.binary = "bin/" + cand;
    return b;
  };
  start();
  auto t = remeasure("t1", 3);
  REQUIRE_FALSE(t);
  CHECK(code_of(t.error()) == errc::reference_failed);
  CHECK(backend->count("run ") == 0);
}

TEST_CASE_METHOD(measure_fixture, "a final measurement of no rounds or of an unknown task is a bad request",
                 "[actors]") {
  start();
  auto none = remeasure("t1", 0);
  REQUIRE_FALSE(none);
  CHECK(code_of(none.error()) == errc::bad_request);
  auto unknown = remeasure("nope", 3);
  REQUIRE_FALSE(unknown);
  CHECK(code_of(unknown.error()) == errc::bad_request);
  CHECK(backend->count("compile ") == 0);
}

TEST_CASE_METHOD(measure_fixture, "a failed reference answers the task's final measurement with the failure",
                 "[actors]") {
  backend->on_prepare = [](const kforge::task_def&) -> caf::expected<kforge::timing_stats> {
    return make_error(errc::reference_failed, "scripted");
  };
  start();
  auto t = remeasure("t1", 3);
  REQUIRE_FALSE(t);
  CHECK(code_of(t.error()) == errc::reference_failed);
  CHECK(backend->count("compile ") == 0);
}

TEST_CASE("a measurement waits for its task's reference and goes before compiled candidates", "[actors]") {
  verify_schedule s{1, 8};
  s.add(1, "a");                                      // a candidate of task a: queues a's reference
  s.add_measure(2, "b");                              // b's final measurement: queues b's reference
  CHECK(s.start_run().what == run_pick::kind::idle);  // b's reference is not ready: no measurement
  test::build_reference(s, "a");
  test::build_reference(s, "b");  // no candidate may compile yet: the slot builds b's reference
  auto r1 = s.start_run();
  CHECK(r1.what == run_pick::kind::reference);
  CHECK(r1.task_id == "a");
  s.run_done();
  CHECK(s.prepared("a", true).empty());
  auto r2 = s.start_run();  // no candidate is compiled yet: b's reference
  CHECK(r2.what == run_pick::kind::reference);
  CHECK(r2.task_id == "b");
  s.run_done();
  CHECK(s.prepared("b", true).empty());
  auto compiles = s.pick_compiles();
  REQUIRE(compiles.size() == 1);
  CHECK(compiles.front().job == 1);
  s.compile_started(0);
  s.compile_done(0);
  s.compiled(1);
  auto r3 = s.start_run();  // the measurement before the compiled candidate
  CHECK(r3.what == run_pick::kind::measure);
  CHECK(r3.job == 2);
  CHECK(r3.task_id == "b");
  s.run_done();
  auto r4 = s.start_run();
  CHECK(r4.what == run_pick::kind::candidate);
  CHECK(r4.job == 1);
}

TEST_CASE("quiet runs start no compile while a measurement waits", "[actors]") {
  verify_schedule s{1, 8};
  s.set_quiet_runs(true);
  s.add(1, "a");
  test::build_reference(s, "a");
  CHECK(s.start_run().what == run_pick::kind::reference);
  s.run_done();
  CHECK(s.prepared("a", true).empty());
  s.add_measure(2, "a");
  CHECK(s.pick_compiles().empty());
  CHECK(s.start_run().what == run_pick::kind::measure);
  CHECK(s.pick_compiles().empty());  // the stage is busy with it
  s.run_done();
  CHECK(s.pick_compiles().size() == 1);
}

// The stall of a resumed 600-task CPU campaign: a task whose reference this process never
// prepared (resumed with its reference timing, its last verdicts from the verdict cache or its
// proposals all known, so no candidate job asked for it) ends and asks for its final measurement.
// With quiet runs, a waiting measurement held back every compile, the build of that very
// reference too: the pool stopped for good, and so did the stop of the campaign.
TEST_CASE("quiet runs build the reference that a waiting measurement needs", "[actors]") {
  verify_schedule s{1, 8};
  s.set_quiet_runs(true);
  s.add_measure(1, "a");  // a's reference never asked for: queued by the measurement
  s.add(2, "b");          // another task's candidate
  CHECK(s.start_run().what == run_pick::kind::idle);
  test::build_reference(s, "a");  // the one the measurement waits for goes first
  auto ref = s.start_run();
  REQUIRE(ref.what == run_pick::kind::reference);
  CHECK(ref.task_id == "a");
  s.run_done();
  CHECK(s.prepared("a", true).empty());
  CHECK(s.pick_compiles().empty());  // now it can run: the quiet rule holds compiles back
  auto m = s.start_run();
  CHECK(m.what == run_pick::kind::measure);
  CHECK(m.job == 1);
}

TEST_CASE_METHOD(measure_fixture, "a quiet pool answers the final measurement of a task it never prepared",
                 "[actors]") {
  vcfg.quiet_runs = true;
  backend->on_run = by_binary({1000}, {100});
  start();
  auto t = remeasure("t1", 3);
  REQUIRE(t);
  CHECK(t->rounds == 3);
  CHECK(backend->count("build t1") == 1);
}

TEST_CASE("a failed reference cancels the task's queued measurement", "[actors]") {
  verify_schedule s{1, 8};
  s.add_measure(7, "a");
  CHECK(s.start_run().what == run_pick::kind::idle);  // its reference is not built yet
  test::build_reference(s, "a");
  CHECK(s.start_run().what == run_pick::kind::reference);
  s.run_done();
  auto cancelled = s.prepared("a", false);
  CHECK(cancelled == std::vector<job_id>{7});
  CHECK(s.start_run().what == run_pick::kind::idle);
  s.drain();
  CHECK(s.is_drained());
}

namespace {

struct ending_fixture : test::actor_fixture {
  test::temp_store db;
  std::shared_ptr<test::fake_verifier_log> vlog = std::make_shared<test::fake_verifier_log>();
  std::shared_ptr<std::vector<task_progress>> progress = std::make_shared<std::vector<task_progress>>();
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  task_peers peers;
  task_config cfg;

  ending_fixture() {
    (*tasks)["t1"] = test::knob_task("t1");
    auto log = progress;
    peers.owner = sys.spawn([log](task_owner_actor::pointer) -> task_owner_actor::behavior_type {
      return {
          [](grant_atom, const std::string&, int32_t n) { return n; },
          [log](progress_atom, const task_progress& p) { log->push_back(p); },
      };
    });
    peers.retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
    peers.llm = spawn_llm_proxy(sys, tasks, llm_proxy_config{});
    // Every candidate 250 ns against a 1000 ns reference; the final measurement says the same.
    peers.verifier = test::spawn_fake_verifier(
        sys, [](const std::string&) { return test::timed_verdict(250); }, 1000, vlog);
    peers.curator = spawn_curator(sys, db.store(), peers.retriever, curator_config{}, false);
    memory::campaign_record rec;
    rec.id = "c1";
    rec.config_text = "x";
    auto rh = self->request(peers.curator, caf::infinite, campaign_atom_v, rec);
    run();
    rh.receive([](memory::campaign_record&, std::vector<memory::task_record>&) {},
               [](caf::error& err) { FAIL(describe(err)); });
    cfg.campaign = "c1";
    cfg.steps.evaluations = 2;
    cfg.candidates_per_step = 2;
    cfg.final_rounds = 3;
  }

  ~ending_fixture() {
    self->send_exit(peers.curator, caf::exit_reason::user_shutdown);
    self->send_exit(peers.retriever, caf::exit_reason::user_shutdown);
    self->send_exit(peers.llm, caf::exit_reason::user_shutdown);
    self->send_exit(peers.verifier, caf::exit_reason::user_shutdown);
    self->send_exit(peers.owner, caf::exit_reason::user_shutdown);
    run();
  }

  void start(memory::task_record rec) {
    auto t = spawn_task(sys, tasks, "t1", std::move(rec), cfg, peers);
    self->send(t, start_atom_v);
    run();
  }

  static memory::task_record fresh() {
    memory::task_record rec;
    rec.campaign = "c1";
    rec.task_id = "t1";
    rec.family = "fam";
    rec.phase = "draft";
    return rec;
  }

  memory::task_record stored() {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto rec = memory::get_task(*tx, "c1", "t1");
    REQUIRE(rec);
    return *rec;
  }
};

}  // namespace

TEST_CASE_METHOD(ending_fixture, "a task that spends its budget re-measures its best and records the figure",
                 "[actors]") {
  start(fresh());
  auto rec = stored();
  REQUIRE(rec.phase == "done");
  REQUIRE_FALSE(rec.best_hash.empty());
  REQUIRE(vlog->remeasures.size() == 1);
  CHECK(vlog->remeasures.front().cand_hash == rec.best_hash);
  CHECK_FALSE(vlog->remeasures.front().source.empty());
  CHECK(rec.final_hash == rec.best_hash);
  CHECK(rec.final_reference_ns == 1000);
  CHECK(rec.final_latency_ns == 250);
  CHECK(rec.final_rounds == 3);
  // The last progress carries the figure (the summary line, the supervisor's snapshot).
  REQUIRE_FALSE(progress->empty());
  CHECK(progress->back().final_reference_ns == 1000);
  CHECK(progress->back().final_latency_ns == 250);
  CHECK(progress_of(rec, 2).final_latency_ns == 250);
}

TEST_CASE_METHOD(ending_fixture, "a stop re-measures a task's best only when the campaign ends with it",
                 "[actors]") {
  cfg.steps.evaluations = 100;
  auto campaign_ends = GENERATE(false, true);
  auto t = spawn_task(sys, tasks, "t1", fresh(), cfg, peers);
  self->send(t, start_atom_v);
  // One step at a time: stop once something is committed.
  for (int i = 0; i < 1000 && progress->empty(); ++i)
    run_once();
  self->send(t, stop_atom_v, campaign_ends);
  run();
  auto rec = stored();
  CHECK(rec.phase != "done");
  REQUIRE_FALSE(rec.best_hash.empty());
  if (campaign_ends) {  // a spent wall-time or LLM budget
    REQUIRE(vlog->remeasures.size() == 1);
    CHECK(rec.final_hash == rec.best_hash);
    CHECK(rec.final_latency_ns == 250);
  } else {  // interrupted: a resume goes on, and measures when the task ends
    CHECK(vlog->remeasures.empty());
    CHECK(rec.final_hash.empty());
  }
}

TEST_CASE_METHOD(ending_fixture, "a resumed task whose best was re-measured does not measure it again",
                 "[actors]") {
  start(fresh());
  REQUIRE(vlog->remeasures.size() == 1);
  start(stored());  // done, re-measured: nothing to do
  CHECK(vlog->remeasures.size() == 1);
}

TEST_CASE_METHOD(ending_fixture, "a done task whose best was never re-measured is measured when it starts",
                 "[actors]") {
  cfg.final_rounds = 0;  // a campaign from before the final measurement
  start(fresh());
  auto rec = stored();
  REQUIRE(rec.phase == "done");
  REQUIRE(vlog->remeasures.empty());
  CHECK(rec.final_hash.empty());
  cfg.final_rounds = 3;
  auto evaluations = rec.evaluations;
  start(rec);
  REQUIRE(vlog->remeasures.size() == 1);
  auto after = stored();
  CHECK(after.final_hash == after.best_hash);
  CHECK(after.evaluations == evaluations);  // it measured; it did not search
}

TEST_CASE_METHOD(ending_fixture, "with final_rounds 0 a task ends without a final measurement", "[actors]") {
  cfg.final_rounds = 0;
  start(fresh());
  CHECK(vlog->remeasures.empty());
  CHECK(stored().final_hash.empty());
}

TEST_CASE_METHOD(ending_fixture,
                 "a resumed task gets its final measurement from a quiet pool that never prepared it",
                 "[actors]") {
  cfg.final_rounds = 0;
  start(fresh());
  auto rec = stored();
  REQUIRE(rec.phase == "done");
  REQUIRE(rec.reference_latency_ns > 0);  // a resume asks the pool for no reference
  REQUIRE(rec.final_hash.empty());
  // The next run: a CPU pool (quiet runs) that has prepared nothing, and a task that ends at
  // once and asks for its final measurement.
  auto backend = std::make_shared<test::fake_backend>();
  backend->on_run = by_binary({1000}, {250});
  verifier_config vcfg;
  vcfg.detached = false;
  vcfg.quiet_runs = true;
  self->send_exit(peers.verifier, caf::exit_reason::user_shutdown);
  peers.verifier = spawn_verifier(sys, backend, tasks, vcfg);
  cfg.final_rounds = 3;
  start(rec);
  auto after = stored();
  CHECK(after.final_hash == after.best_hash);  // before the fix: still measuring, nothing recorded
  CHECK(after.final_latency_ns == 250);
  CHECK(backend->count("build t1") == 1);
  self->send(peers.verifier, drain_atom_v);
  run();
}
