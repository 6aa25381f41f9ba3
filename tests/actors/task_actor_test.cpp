// The task actor on CAF's testing scheduler, with the real offline LLM proxy, retriever and
// curator over a temp store, and a scripted verifier: the queue_full back-off runs on the
// fixture clock, and an unknown task ends without throwing.

#include "actors/task/task_actor.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_store.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>

using namespace kforge;
using namespace kforge::actors;
using std::chrono::milliseconds;

namespace {

// What the scripted peers saw.
struct peer_log {
  int verifies = 0;
  int refusals_left = 0;         // verifications to refuse with errc::queue_full
  std::optional<int32_t> grant;  // the owner's answer to every grant; none: what was asked
  std::vector<task_progress> progress;
  errc reference_error = errc::none;  // the reference's answer: an error with this code, or a timing
  bool hold = false;                  // keep verifications unanswered (queued) until a stop withdraws them
  std::vector<std::pair<std::string, caf::typed_response_promise<verification>>> held;
  std::set<std::string> withdrawn;  // hashes a stopping task asked back
};

verifier_actor spawn_refusing_verifier(caf::actor_system& sys, std::shared_ptr<peer_log> log) {
  return sys.spawn([log](verifier_actor::pointer self) -> verifier_actor::behavior_type {
    return {
        [self, log](verify_atom, const verify_request& req) -> caf::result<verification> {
          log->verifies += 1;
          if (log->hold) {
            auto promise = self->make_response_promise<verification>();
            log->held.emplace_back(req.cand_hash, promise);
            return promise;
          }
          if (log->refusals_left > 0) {
            log->refusals_left -= 1;
            return make_error(errc::queue_full, "scripted");
          }
          return verification{test::timed_verdict(100), "", false};
        },
        [log](reference_atom, const std::string&) -> caf::result<kforge::timing_stats> {
          if (log->reference_error != errc::none)
            return make_error(log->reference_error, "scripted reference failure");
          return test::timed_verdict(1000).timing;
        },
        [](remeasure_atom, const verify_request&, int32_t rounds) -> interleaved_timing {
          return interleaved_timing{1000, 100, rounds, ""};
        },
        [](stats_atom) -> verifier_stats { return verifier_stats{}; },
        [self](drain_atom) { self->quit(); },
        [](load_atom, const std::shared_ptr<const kforge::task_map>&) {},
        [](retry_atom, const std::string&) {},
        [log](stop_atom, const std::string&, const std::set<std::string>& hashes) {
          log->withdrawn = hashes;
          for (auto& [hash, promise] : log->held)
            if (hashes.count(hash) > 0)
              promise.deliver(make_error(errc::cancelled, "withdrawn: its task stopped"));
        },
    };
  });
}

task_owner_actor spawn_owner(caf::actor_system& sys, std::shared_ptr<peer_log> log) {
  return sys.spawn([log](task_owner_actor::pointer) -> task_owner_actor::behavior_type {
    return {
        [log](grant_atom, const std::string&, int32_t n) { return log->grant.value_or(n); },
        [log](progress_atom, const task_progress& p) { log->progress.push_back(p); },
    };
  });
}

struct task_fixture : test::actor_fixture {
  test::temp_store db;
  std::shared_ptr<peer_log> log = std::make_shared<peer_log>();
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  task_peers peers;
  task_config cfg;

  task_fixture() {
    (*tasks)["t1"] = test::knob_task("t1");
    peers.owner = spawn_owner(sys, log);
    peers.retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
    peers.llm = spawn_llm_proxy(sys, tasks, llm_proxy_config{});
    peers.verifier = spawn_refusing_verifier(sys, log);
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
    cfg.retry_backoff = milliseconds{200};
  }

  ~task_fixture() {
    self->send_exit(peers.curator, caf::exit_reason::user_shutdown);
    self->send_exit(peers.retriever, caf::exit_reason::user_shutdown);
    self->send_exit(peers.llm, caf::exit_reason::user_shutdown);
    self->send_exit(peers.verifier, caf::exit_reason::user_shutdown);
    self->send_exit(peers.owner, caf::exit_reason::user_shutdown);
    run();
  }

  // The task's committed record; an empty one if it committed none.
  memory::task_record stored(const std::string& task_id) {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto rec = memory::get_task(*tx, "c1", task_id);
    return rec ? *rec : memory::task_record{};
  }

  task_actor start(const std::string& task_id) {
    memory::task_record rec;
    rec.campaign = "c1";
    rec.task_id = task_id;
    rec.family = "fam";
    rec.phase = "draft";
    auto t = spawn_task(sys, tasks, task_id, rec, cfg, peers);
    self->send(t, start_atom_v);
    run();
    return t;
  }
};

}  // namespace

TEST_CASE_METHOD(task_fixture, "a task the catalog lacks ends at start and reports where it stands",
                 "[actors]") {
  // Before the fix, looking the task up threw while the actor started: no progress came.
  start("missing");
  REQUIRE(log->progress.size() == 1);
  CHECK(log->progress.front().task_id == "missing");
  CHECK(log->verifies == 0);
}

TEST_CASE_METHOD(task_fixture, "verifications refused with queue_full are sent again on the actor clock",
                 "[actors]") {
  log->refusals_left = 2;  // both candidates of the first step
  start("t1");
  CHECK(log->verifies == 2);
  advance(milliseconds{199});
  run();
  CHECK(log->verifies == 2);  // just before the first wait ends
  CHECK(advance(milliseconds{1}) == 1);
  run();
  CHECK(log->verifies == 4);  // one timer for both, exactly at 200 ms
  REQUIRE_FALSE(log->progress.empty());
  CHECK(log->progress.back().evaluations == 2);
  CHECK(log->progress.back().phase == "done");
}

TEST_CASE_METHOD(task_fixture, "a second refusal in a row waits twice as long", "[actors]") {
  log->refusals_left = 4;
  start("t1");
  CHECK(log->verifies == 2);
  advance(milliseconds{200});
  run();
  CHECK(log->verifies == 4);  // refused again: the next wait is 400 ms
  advance(milliseconds{399});
  run();
  CHECK(log->verifies == 4);
  advance(milliseconds{1});
  run();
  CHECK(log->verifies == 6);
  REQUIRE_FALSE(log->progress.empty());
  CHECK(log->progress.back().evaluations == 2);
}

TEST_CASE_METHOD(task_fixture, "refusals in a row wait at most 1 s, so a drained queue is not left idle",
                 "[actors]") {
  // Before the cap (5 s), a task refused six times in a row slept 3.2 s, then 5 s: at the end of a
  // 1,000-task null-device run the verifier sat idle 2.5 s while such tasks waited.
  log->refusals_left = 12;  // six rounds of both candidates: waits 200, 400, 800, 1000, 1000, 1000
  start("t1");
  int expected = 2;
  for (int wait : {200, 400, 800, 1000, 1000, 1000}) {
    advance(milliseconds{wait - 1});
    run();
    CHECK(log->verifies == expected);
    advance(milliseconds{1});
    run();
    expected += 2;
    CHECK(log->verifies == expected);
  }
  REQUIRE_FALSE(log->progress.empty());
  CHECK(log->progress.back().evaluations == 2);
}

TEST_CASE_METHOD(task_fixture, "a grant refused because the campaign stops leaves the task to a resume",
                 "[actors]") {
  // Before the fix, a refused grant ended the task for good ("stopped" or "campaign budget"), so a
  // daemon stopped by SIGTERM resumed with tasks that never searched again.
  log->grant = -1;
  start("t1");
  CHECK(log->verifies == 0);
  REQUIRE_FALSE(log->progress.empty());
  CHECK(log->progress.back().phase != "done");
  auto rec = stored("t1");  // nothing to commit: the record is the one it started with, or none
  CHECK(rec.phase != "done");
  CHECK(rec.stop_reason.empty());
}

TEST_CASE_METHOD(task_fixture, "a grant of nothing ends the task: the campaign's budget is spent",
                 "[actors]") {
  log->grant = 0;
  start("t1");
  CHECK(log->verifies == 0);
  auto rec = stored("t1");
  CHECK(rec.phase == "done");
  CHECK(rec.stop_reason == "campaign budget");
}

TEST_CASE_METHOD(task_fixture,
                 "a reference that timed out leaves the task resumable; one that failed ends it",
                 "[actors]") {
  SECTION("timed out (after the pool's retries): stopped, not done") {
    log->reference_error = errc::timed_out;
    start("t1");
    CHECK(log->verifies == 0);
    CHECK(stored("t1").phase != "done");  // nothing committed: a resume starts it again
    REQUIRE_FALSE(log->progress.empty());
    CHECK(log->progress.back().phase == "draft");
    CHECK_THAT(log->progress.back().last_error, Catch::Contains("timed_out"));
  }
  SECTION("failed (the reference is broken): done for good") {
    log->reference_error = errc::reference_failed;
    start("t1");
    CHECK(log->verifies == 0);
    CHECK(stored("t1").phase == "done");
    CHECK(stored("t1").stop_reason == "reference failed");
  }
}

TEST_CASE_METHOD(task_fixture, "a stopping task takes back its queued candidates and ends without them",
                 "[actors][withdraw]") {
  log->hold = true;
  auto t = start("t1");
  self->monitor(t);
  REQUIRE(log->held.size() == 2);  // one step's two candidates wait in the (scripted) queue
  self->send(t, stop_atom_v, false);
  run();
  std::set<std::string> sent;
  for (const auto& [hash, promise] : log->held)
    sent.insert(hash);
  CHECK(log->withdrawn == sent);  // it asked back exactly what it had in flight
  // It ended (quit; not done: a resume proposes them again) and recorded no evaluation.
  bool ended = false;
  self->receive([&](const caf::down_msg&) { ended = true; }, caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(ended);
  REQUIRE_FALSE(log->progress.empty());
  CHECK(log->progress.back().evaluations == 0);
  CHECK(stored("t1").evaluations == 0);
}

TEST_CASE_METHOD(task_fixture, "a task whose whole knob space is tried ends exhausted at once", "[actors]") {
  // knob_task has six settings; with a budget of 20 the offline policy runs out after six
  // evaluations and says so: no max_duplicate_steps steps of proposals the task would drop.
  cfg.steps.evaluations = 20;
  REQUIRE(cfg.max_duplicate_steps == 8);
  start("t1");
  auto rec = stored("t1");
  CHECK(rec.stop_reason == "exhausted");
  CHECK(rec.evaluations == 6);
  CHECK(log->verifies == 6);
  CHECK(rec.step < 3 + cfg.max_duplicate_steps);  // three steps of two, and few more
}
