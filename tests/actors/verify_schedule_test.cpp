#include "actors/verifier/verify_schedule.hpp"

#include <catch2/catch.hpp>

using namespace kforge::actors;

namespace {

std::vector<job_id> jobs_of(const std::vector<compile_pick>& picks) {
  std::vector<job_id> out;
  for (const auto& p : picks)
    out.push_back(p.job);
  return out;
}

}  // namespace

TEST_CASE("a candidate compiles only once its task's reference is ready", "[actors]") {
  verify_schedule s{2, 8};
  s.add(1, "t1");
  CHECK(s.status("t1") == prep_status::preparing);
  CHECK(s.pick_compiles().empty());
  auto r = s.start_run();
  CHECK(r.what == run_pick::kind::reference);
  CHECK(r.task_id == "t1");
  CHECK(s.is_running());
  CHECK(s.start_run().what == run_pick::kind::idle);  // one run stage
  s.run_done();
  CHECK(s.prepared("t1", true).empty());
  CHECK(s.status("t1") == prep_status::ready);
  auto picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  CHECK(picks.front().slot == 0);
  CHECK(picks.front().job == 1);
  CHECK(s.queued() == 0);
}

TEST_CASE("a reference preparation goes ahead of compiled candidates on the run stage", "[actors]") {
  verify_schedule s{1, 8};
  s.ensure_prepared("t1");
  CHECK(s.start_run().what == run_pick::kind::reference);
  s.run_done();
  (void)s.prepared("t1", true);
  s.add(1, "t1");
  s.add(2, "t2");  // queues t2's reference
  auto picks = s.pick_compiles();
  REQUIRE(picks.size() == 1);
  s.compile_started(0);
  s.compile_done(0);
  s.compiled(1);
  CHECK(s.waiting_run() == 1);
  auto r = s.start_run();
  CHECK(r.what == run_pick::kind::reference);
  CHECK(r.task_id == "t2");
  s.run_done();
  r = s.start_run();
  CHECK(r.what == run_pick::kind::candidate);
  CHECK(r.job == 1);
}

TEST_CASE("free compile slots take the oldest ready candidates in slot order", "[actors]") {
  verify_schedule s{2, 8};
  s.ensure_prepared("ready");
  (void)s.start_run();
  s.run_done();
  (void)s.prepared("ready", true);
  s.add(1, "waiting");  // its task has no reference yet: skipped, not blocking
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
    (void)s.start_run();
    s.run_done();
    (void)s.prepared("t1", true);
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
  auto r = s.start_run();
  REQUIRE(r.task_id == "bad");
  s.run_done();
  CHECK(s.prepared("bad", false) == std::vector<job_id>{1, 3});
  CHECK(s.status("bad") == prep_status::failed);
  CHECK(s.queued() == 1);
  s.ensure_prepared("bad");  // asked for again: stays failed, nothing queued
  CHECK(s.status("bad") == prep_status::failed);
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
  (void)s.start_run();  // the reference runs while job 1 waits
  s.account(130);
  CHECK(s.backlog_ms() == 30);
  CHECK(s.busy_in_backlog_ms() == 30);
  s.run_done();
  s.account(150);
  CHECK(s.backlog_ms() == 50);
  CHECK(s.busy_in_backlog_ms() == 30);
}
