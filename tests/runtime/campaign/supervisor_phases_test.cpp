#include "runtime/campaign/supervisor_phases.hpp"

#include <catch2/catch.hpp>

using kforge::runtime::stop_note;
using kforge::runtime::stop_reason;
using kforge::runtime::supervisor_phases;
using phase = supervisor_phases::phase;

TEST_CASE("A supervisor starts, runs and finishes when every task is done", "[runtime]") {
  supervisor_phases p;
  CHECK(p.current() == phase::starting);
  CHECK(p.status() == "running");
  CHECK_FALSE(p.holds_grants());
  CHECK_FALSE(p.refuses_grants());
  CHECK(p.open());
  CHECK(p.current() == phase::running);
  CHECK(p.close(true));
  CHECK(p.current() == phase::closing);
  CHECK(p.is_closed());
  CHECK(p.refuses_grants());
  CHECK(p.status() == "finished");
  CHECK_FALSE(p.close(false));  // the outcome is decided once
  CHECK(p.status() == "finished");
  p.end();
  CHECK(p.current() == phase::ended);
  CHECK(p.status() == "finished");
  CHECK(p.reason() == stop_reason::none);
}

TEST_CASE("A paused supervisor holds grants and runs again on resume", "[runtime]") {
  supervisor_phases p;
  REQUIRE(p.open());
  CHECK(p.pause());
  CHECK(p.current() == phase::paused);
  CHECK(p.status() == "paused");
  CHECK(p.holds_grants());
  CHECK_FALSE(p.refuses_grants());
  CHECK_FALSE(p.pause());
  CHECK(p.resume());
  CHECK(p.current() == phase::running);
  CHECK_FALSE(p.resume());
  SECTION("a campaign paused while it opens opens paused, and resumes into running") {
    supervisor_phases q;
    CHECK(q.pause());
    CHECK(q.open());
    CHECK(q.current() == phase::paused);
    CHECK(q.resume());
    CHECK(q.current() == phase::running);
  }
  SECTION("resumed before it opened, it is starting again") {
    supervisor_phases q;
    CHECK(q.pause());
    CHECK(q.resume());
    CHECK(q.current() == phase::starting);
  }
}

TEST_CASE("A stop refuses grants, keeps its first reason and decides the outcome", "[runtime]") {
  supervisor_phases p;
  REQUIRE(p.open());
  SECTION("a requested stop ends stopped, resumable") {
    CHECK(p.stop(stop_reason::requested));
    CHECK(p.current() == phase::stopping);
    CHECK(p.status() == "running");
    CHECK(p.refuses_grants());
    CHECK_FALSE(p.holds_grants());
    CHECK_FALSE(p.stop(stop_reason::wall_budget));
    CHECK(p.reason() == stop_reason::requested);
    CHECK(p.close(false));
    CHECK(p.status() == "stopped");
  }
  SECTION("a spent wall budget ends finished") {
    CHECK(p.stop(stop_reason::wall_budget));
    CHECK(p.close(false));
    CHECK(p.status() == "finished");
  }
  SECTION("a request after the wall budget still ends stopped") {
    CHECK(p.stop(stop_reason::wall_budget));
    CHECK_FALSE(p.stop(stop_reason::requested));
    CHECK(p.reason() == stop_reason::requested);
    CHECK(p.close(false));
    CHECK(p.status() == "stopped");
  }
  SECTION("a spent LLM budget ends stopped unless every task is done") {
    CHECK(p.stop(stop_reason::llm_budget));
    CHECK(p.close(false));
    CHECK(p.status() == "stopped");
  }
  SECTION("stopping a paused campaign") {
    supervisor_phases q;
    REQUIRE(q.open());
    REQUIRE(q.pause());
    CHECK(q.stop(stop_reason::requested));
    CHECK_FALSE(q.holds_grants());
    CHECK_FALSE(q.resume());
    CHECK(q.current() == phase::stopping);
  }
  SECTION("nothing pauses or stops a closed campaign") {
    CHECK(p.close(true));
    CHECK_FALSE(p.pause());
    CHECK_FALSE(p.stop(stop_reason::requested));
    CHECK_FALSE(p.open());
    CHECK(p.status() == "finished");
  }
}

TEST_CASE("A supervisor that cannot open fails, and a finished one ends at once", "[runtime]") {
  supervisor_phases p;
  p.fail();
  CHECK(p.current() == phase::ended);
  CHECK(p.status() == "failed");
  supervisor_phases q;
  q.already_finished();
  CHECK(q.current() == phase::ended);
  CHECK(q.status() == "finished");
  CHECK(q.refuses_grants());
}

TEST_CASE("Each stop reason has its note", "[runtime]") {
  CHECK(stop_note(stop_reason::none).empty());
  CHECK(stop_note(stop_reason::requested) == "stopped on request");
  CHECK(stop_note(stop_reason::wall_budget) == "wall-time budget spent");
  CHECK(stop_note(stop_reason::llm_budget) == "LLM budget spent");
}
