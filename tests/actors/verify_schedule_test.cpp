#include "actors/verifier/verify_schedule.hpp"
#include "tests/support/schedule_steps.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace kforge::actors;

namespace {

std::vector<job_id> jobs_of(const std::vector<compile_pick>& picks) {
  std::vector<job_id> out;
  for (const auto& p : picks)
    out.push_back(p.job);
  return out;
}

// Both stages of `task_id`'s preparation: the build, then the timed run.
void prepare(verify_schedule& s, const std::string& task_id) {
  s.ensure_prepared(task_id);
  kforge::test::build_reference(s, task_id);
  auto r = s.start_run();
  REQUIRE(r.what == run_pick::kind::reference);
  REQUIRE(r.task_id == task_id);
  s.run_done();
  REQUIRE(s.prepared(task_id, true).empty());
}

}  // namespace

TEST_CASE("a candidate compiles only once its task's reference is ready", "[actors]") {
  verify_schedule s{2, 8};
  s.add(1, "t1");
  CHECK(s.status("t1") == prep_status::preparing);
  CHECK(s.start_run().what == run_pick::kind::idle);  // nothing built yet
  auto picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);  // the reference's build; job 1 waits for the reference
  CHECK(picks.front().what == compile_pick::kind::reference);
  CHECK(picks.front().task_id == "t1");
  CHECK(s.compiling() == 1);  // a reference build holds its slot from the pick on
  s.compile_done(picks.front().slot);
  s.reference_built("t1", false);
  CHECK(s.pick_compiles().empty());  // built, not yet run: its candidates still wait
  auto r = s.start_run();
  CHECK(r.what == run_pick::kind::reference);
  CHECK(r.task_id == "t1");
  CHECK(s.is_running());
  CHECK(s.start_run().what == run_pick::kind::idle);  // one run stage
  s.run_done();
  CHECK(s.prepared("t1", true).empty());
  CHECK(s.status("t1") == prep_status::ready);
  picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().what == compile_pick::kind::candidate);
  CHECK(picks.front().slot == 0);
  CHECK(picks.front().job == 1);
  CHECK(s.queued() == 0);
}

TEST_CASE("a reference restored from the cache is ready without the run stage", "[actors]") {
  verify_schedule s{1, 8};
  s.add(1, "t1");
  auto picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  s.compile_done(picks.front().slot);
  s.reference_built("t1", true);
  CHECK(s.status("t1") == prep_status::ready);
  CHECK(s.start_run().what == run_pick::kind::idle);
  picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().job == 1);
}

TEST_CASE("the references queued candidates wait for are built before those only asked for", "[actors]") {
  // A resumed campaign: every task asks for its reference at once, and candidates arrive for
  // a few of them, the last ones asked. (One build per candidate compile, to see each pick.)
  verify_schedule s{1, 8};
  s.set_reference_turns(1);
  for (int i = 0; i < 50; ++i)
    s.ensure_prepared("asked" + std::to_string(i));
  s.add(1, "t-late");
  s.add(2, "t-later");
  auto picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().what == compile_pick::kind::reference);
  CHECK(picks.front().task_id == "t-late");
  s.compile_done(picks.front().slot);
  s.reference_built("t-late", true);
  picks = s.pick_compiles();  // job 1's turn: its reference is ready
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().what == compile_pick::kind::candidate);
  CHECK(picks.front().job == 1);  // (a candidate's slot is busy only once its compile starts)
  picks = s.pick_compiles();      // the reference job 2 waits for, before the 50 only asked for
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().task_id == "t-later");
  s.compile_done(picks.front().slot);
  s.reference_built("t-later", true);
  picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().job == 2);
  picks = s.pick_compiles();  // nothing waits: the oldest asked for
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().task_id == "asked0");
}

TEST_CASE("reference builds take three compile turns for each candidate compile while both wait",
          "[actors]") {
  verify_schedule s{1, 64};
  prepare(s, "t0");
  for (job_id j = 1; j <= 3; ++j)
    s.add(j, "t0");
  for (int i = 1; i <= 8; ++i)
    s.ensure_prepared("t" + std::to_string(i));
  std::string order;
  for (int k = 0; k < 11; ++k) {
    auto picks = s.pick_compiles();
    REQUIRE(picks.size() == 1);
    const auto& p = picks.front();
    if (p.what == compile_pick::kind::reference) {
      order += 'r';
      s.compile_done(p.slot);
      s.reference_built(p.task_id, true);
    } else {
      order += 'c';
      s.compile_started(p.slot);
      s.compile_done(p.slot);
      s.compiled(p.job);
    }
  }
  // prepare() built t0 (one turn): two more builds, a candidate, three builds, ... until the
  // candidates run out.
  CHECK(order == "rrcrrrcrrrc");
}

TEST_CASE("built references and compiled candidates take turns on the run stage", "[actors]") {
  verify_schedule s{1, 8};
  s.set_reference_turns(1);
  prepare(s, "t1");  // a build, then a reference run: the candidates' turn next on both stages
  s.add(1, "t1");
  s.add(2, "t1");
  s.ensure_prepared("t2");
  s.ensure_prepared("t3");
  // The slot takes turns: a candidate of the prepared task, a build, a candidate, a build.
  auto compile_one = [&](job_id expected) {
    auto picks = s.pick_compiles();
    REQUIRE(picks.size() == 1);
    CHECK(picks.front().what == compile_pick::kind::candidate);
    CHECK(picks.front().job == expected);
    s.compile_started(0);
    s.compile_done(0);
    s.compiled(expected);
  };
  compile_one(1);
  kforge::test::build_reference(s, "t2");
  compile_one(2);
  kforge::test::build_reference(s, "t3");
  // Two built references and two compiled candidates wait: they alternate.
  auto r = s.start_run();
  CHECK(r.what == run_pick::kind::candidate);
  CHECK(r.job == 1);
  s.run_done();
  r = s.start_run();
  CHECK(r.what == run_pick::kind::reference);
  CHECK(r.task_id == "t2");
  s.run_done();
  r = s.start_run();
  CHECK(r.what == run_pick::kind::candidate);
  CHECK(r.job == 2);
  s.run_done();
  r = s.start_run();
  CHECK(r.what == run_pick::kind::reference);
  CHECK(r.task_id == "t3");
}

TEST_CASE("the first candidate runs before the last of many references is prepared", "[actors]") {
  // 8 tasks ask for their references at once; the first task proposes as soon as its own is
  // ready. With the old order (every reference first) its candidate would run 9th.
  verify_schedule s{2, 64};
  for (int t = 1; t <= 8; ++t)
    s.ensure_prepared("t" + std::to_string(t));
  std::vector<std::string> ran;  // what the run stage did, in order
  bool asked = false;
  while (ran.size() < 9) {
    for (const auto& p : s.pick_compiles()) {
      if (p.what == compile_pick::kind::reference) {
        s.compile_done(p.slot);
        s.reference_built(p.task_id, false);
      } else {
        s.compile_started(p.slot);
        s.compile_done(p.slot);
        s.compiled(p.job);
      }
    }
    auto r = s.start_run();
    REQUIRE(r.what != run_pick::kind::idle);
    ran.push_back(r.what == run_pick::kind::reference ? r.task_id : "candidate");
    s.run_done();
    if (r.what == run_pick::kind::reference)
      (void)s.prepared(r.task_id, true);
    if (r.task_id == "t1" && !asked) {
      s.add(1, "t1");
      asked = true;
    }
  }
  auto first = std::find(ran.begin(), ran.end(), "candidate");
  auto last = std::find(ran.begin(), ran.end(), "t8");
  CHECK(first < last);
  CHECK(std::distance(ran.begin(), first) <= 2);
}

TEST_CASE("a transient failure waits to retry, and giving up leaves the task as never asked", "[actors]") {
  verify_schedule s{1, 8};
  s.add(1, "t1");
  kforge::test::build_reference(s, "t1");
  CHECK(s.start_run().what == run_pick::kind::reference);
  s.run_done();
  s.retry_later("t1");
  CHECK(s.status("t1") == prep_status::preparing);
  CHECK(s.pick_compiles().empty());  // nothing to build until the retry is due
  s.drain();
  CHECK_FALSE(s.is_drained());  // a retry is pending
  CHECK(s.retry_now("t1"));
  CHECK_FALSE(s.retry_now("t1"));          // once
  kforge::test::build_reference(s, "t1");  // back in the build queue

  SECTION("giving up cancels the queued jobs and forgets the task") {
    CHECK(s.give_up("t1") == std::vector<job_id>{1});
    CHECK(s.status("t1") == prep_status::none);
    CHECK(s.start_run().what == run_pick::kind::idle);  // its built reference is dropped too
    CHECK(s.is_drained());
    s.ensure_prepared("t1");  // a later request starts over
    CHECK(s.status("t1") == prep_status::preparing);
  }
  SECTION("a retry that succeeds makes the task ready") {
    CHECK(s.start_run().what == run_pick::kind::reference);
    s.run_done();
    CHECK(s.prepared("t1", true).empty());
    CHECK(s.status("t1") == prep_status::ready);
  }
}

TEST_CASE("free compile slots take the oldest ready candidates in slot order", "[actors]") {
  verify_schedule s{2, 8};
  s.ensure_prepared("ready");
  prepare(s, "ready");
  s.add(1, "waiting");                          // its task has no reference yet: skipped, not blocking
  kforge::test::build_reference(s, "waiting");  // built, its run not started: job 1 still waits
  s.add(2, "ready");
  s.add(3, "ready");
  s.add(4, "ready");
  auto picks = s.pick_compiles();
  CHECK(jobs_of(picks) == std::vector<job_id>{2, 3});
  CHECK(picks[0].slot == 0);
  CHECK(picks[1].slot == 1);
  s.compile_started(0);
  s.compile_started(1);
  CHECK(s.compiling() == 2);
  CHECK(s.pick_compiles().empty());  // no free slot
  s.compile_done(1);
  picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().slot == 1);
  CHECK(picks.front().job == 4);

  SECTION("a picked job whose binary was kept leaves its slot free") {
    s.compiled(4);  // not compile_started
    s.add(5, "ready");
    picks = s.pick_compiles();
    REQUIRE(picks.size() == 1);
    CHECK(picks.front().slot == 1);
    CHECK(picks.front().job == 5);
  }
}

TEST_CASE("the pool refuses new work once max_queue jobs wait", "[actors]") {
  verify_schedule s{1, 2};
  CHECK_FALSE(s.is_full());
  s.add(1, "t1");
  CHECK_FALSE(s.is_full());
  s.add(2, "t1");
  CHECK(s.is_full());

  SECTION("compiled jobs waiting to run count too; compiling and running ones do not") {
    prepare(s, "t1");
    auto picks = s.pick_compiles();
    REQUIRE(picks.size() == 1);
    s.compile_started(0);
    CHECK_FALSE(s.is_full());  // one queued, one compiling
    s.compile_done(0);
    s.compiled(picks.front().job);
    CHECK(s.is_full());  // one queued, one waiting to run
    CHECK(s.start_run().what == run_pick::kind::candidate);
    CHECK_FALSE(s.is_full());
  }
  SECTION("a max_queue below 1 still takes one job") {
    verify_schedule tiny{1, 0};
    CHECK_FALSE(tiny.is_full());
    tiny.add(1, "t1");
    CHECK(tiny.is_full());
  }
}

TEST_CASE("a failed reference cancels its task's queued candidates only", "[actors]") {
  verify_schedule s{1, 8};
  s.add(1, "bad");
  s.add(2, "good");
  s.add(3, "bad");
  kforge::test::build_reference(s, "bad");
  auto r = s.start_run();
  REQUIRE(r.task_id == "bad");
  s.run_done();
  CHECK(s.prepared("bad", false) == std::vector<job_id>{1, 3});
  CHECK(s.status("bad") == prep_status::failed);
  CHECK(s.queued() == 1);
  s.ensure_prepared("bad");  // asked for again: stays failed, nothing queued
  CHECK(s.status("bad") == prep_status::failed);
  kforge::test::build_reference(s, "good");
  r = s.start_run();
  CHECK(r.task_id == "good");
  CHECK(s.start_run().what == run_pick::kind::idle);
}

TEST_CASE("a draining pool is drained once nothing is queued or running", "[actors]") {
  verify_schedule s{1, 8};
  s.add(1, "t1");
  s.drain();
  CHECK(s.is_draining());
  CHECK_FALSE(s.is_drained());  // the reference and the job are queued
  kforge::test::build_reference(s, "t1");
  CHECK_FALSE(s.is_drained());  // built, waiting for the run stage
  (void)s.start_run();
  CHECK_FALSE(s.is_drained());
  s.run_done();
  (void)s.prepared("t1", true);
  (void)s.pick_compiles();
  s.compile_started(0);
  CHECK_FALSE(s.is_drained());
  s.compile_done(0);
  s.compiled(1);
  CHECK_FALSE(s.is_drained());
  (void)s.start_run();
  CHECK_FALSE(s.is_drained());
  s.run_done();
  CHECK(s.is_drained());

  SECTION("a pool that is not draining is never drained") {
    verify_schedule idle{1, 8};
    CHECK_FALSE(idle.is_drained());
  }
}

TEST_CASE("backlog time counts only while jobs wait, busy time only while the run stage works", "[actors]") {
  verify_schedule s{1, 8};
  s.account(0);
  s.account(100);  // nothing queued
  CHECK(s.backlog_ms() == 0);
  s.add(1, "t1");
  kforge::test::build_reference(s, "t1");
  s.account(100);
  (void)s.start_run();  // the reference runs while job 1 waits
  s.account(130);
  CHECK(s.backlog_ms() == 30);
  CHECK(s.busy_in_backlog_ms() == 30);
  s.run_done();
  s.account(150);
  CHECK(s.backlog_ms() == 50);
  CHECK(s.busy_in_backlog_ms() == 30);
}

TEST_CASE("a job is withdrawn while it waits, not once it compiles or runs", "[actors][withdraw]") {
  verify_schedule s{1, 8};
  prepare(s, "t1");
  s.add(1, "t1");
  s.add(2, "t1");
  s.add(3, "t1");
  auto picks = s.pick_compiles();
  REQUIRE(jobs_of(picks) == std::vector<job_id>{1});
  s.compile_started(picks.front().slot);
  CHECK_FALSE(s.withdraw(1));  // compiling: it finishes
  CHECK(s.withdraw(3));        // queued
  CHECK_FALSE(s.withdraw(3));  // once only
  CHECK(s.queued() == 1);
  s.compile_done(picks.front().slot);
  s.compiled(1);
  CHECK(s.waiting_run() == 1);
  CHECK(s.withdraw(1));  // compiled, waiting for the run stage
  CHECK(s.waiting_run() == 0);
  CHECK(s.start_run().what == run_pick::kind::idle);
  CHECK(jobs_of(s.pick_compiles()) == std::vector<job_id>{2});
}

TEST_CASE("a draining pool lists the preparations nobody started", "[actors][withdraw]") {
  verify_schedule s{1, 8};
  s.ensure_prepared("t1");
  s.ensure_prepared("t2");
  s.ensure_prepared("t3");
  auto picks = s.pick_compiles();  // t1's build starts
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().task_id == "t1");
  auto queued = s.queued_preparations();
  std::sort(queued.begin(), queued.end());
  CHECK(queued == std::vector<std::string>{"t2", "t3"});
  s.drain();
  for (const auto& t : queued)
    CHECK(s.give_up(t).empty());
  CHECK(s.queued_preparations().empty());
  CHECK_FALSE(s.is_drained());  // t1's build is still in its slot
  s.compile_done(picks.front().slot);
  s.reference_built("t1", false);
  CHECK(s.queued_preparations() == std::vector<std::string>{"t1"});  // built, waiting for the run stage
}

TEST_CASE("task gains: improvement raises a task, failures and plateaus lower it", "[actors][gains]") {
  task_gains g;
  CHECK(g.priority("a") == task_gains::unseen);
  g.observe("a", 1000);  // the first timing: a best, no gain yet
  g.observe("b", 1000);
  CHECK(g.priority("a") < task_gains::unseen);
  CHECK(g.priority("a") == Approx(g.priority("b")));
  g.observe("a", 500);   // twice as fast as its best
  g.observe("b", 1200);  // slower: no gain
  CHECK(g.priority("a") > g.priority("b"));
  for (int i = 0; i < 20; ++i)
    g.observe("a", 500);  // a plateau: the recent gain decays
  CHECK(g.priority("a") < g.priority("b") + 0.01);
  g.observe_failure("c");
  CHECK(g.count("c") == 1);
  CHECK(g.priority("c") < task_gains::unseen);
}

TEST_CASE("jobs of the task with the higher gain compile first, and none starves", "[actors][gains]") {
  verify_schedule s{1, 64};
  prepare(s, "hot");
  prepare(s, "cold");
  s.gains().observe("hot", 1000);
  s.gains().observe("hot", 400);  // improving
  s.gains().observe("cold", 1000);
  s.gains().observe("cold", 1000);  // flat
  for (job_id j = 1; j <= 4; ++j)
    s.add(j, "cold");  // older
  for (job_id j = 11; j <= 16; ++j)
    s.add(j, "hot");
  std::vector<job_id> order;
  for (int i = 0; i < 10; ++i) {
    auto picks = s.pick_compiles();
    REQUIRE(picks.size() == 1);
    order.push_back(picks.front().job);
    s.compile_started(picks.front().slot);
    s.compile_done(picks.front().slot);
  }
  // Three of the hot task's, then (every 4th pick) the oldest, a cold one, and so on.
  CHECK(order == std::vector<job_id>{11, 12, 13, 1, 14, 15, 16, 2, 3, 4});
}

TEST_CASE("with nothing learnt, or fifo_every = 1, jobs compile first in, first out", "[actors][gains]") {
  for (int every : {4, 1}) {
    verify_schedule s{1, 64};
    s.set_fifo_every(every);
    prepare(s, "a");
    prepare(s, "b");
    if (every == 1)
      s.gains().observe("b", 1);  // a, never judged, would go first on gains: every pick is the oldest
    s.add(1, "a");
    s.add(2, "b");
    s.add(3, "a");
    std::vector<job_id> order;
    for (int i = 0; i < 3; ++i) {
      auto picks = s.pick_compiles();
      REQUIRE(picks.size() == 1);
      order.push_back(picks.front().job);
      s.compile_started(picks.front().slot);
      s.compile_done(picks.front().slot);
    }
    CHECK(order == std::vector<job_id>{1, 2, 3});
  }
}
