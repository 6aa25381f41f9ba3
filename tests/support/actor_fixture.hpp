#pragma once

// A Catch2 fixture around CAF's testing scheduler: actors run only when the
// test says so, one message at a time or until idle, and time moves only
// through the fixture clock. No sleeps, no real clock.

#include "actors/system_config.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

namespace kforge::test {

/// The kforge system config with the deterministic testing scheduler.
class testing_config : public actors::system_config {
 public:
  testing_config() : actors::system_config(1) { set("scheduler.policy", caf::atom("testing")); }
};

/// Owns an actor system on the testing scheduler and a scoped actor to talk to it.
struct actor_fixture {
  testing_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched{dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())};
  caf::scoped_actor self{sys, true};

  actor_fixture() { sched.clock().current_time += std::chrono::hours(1); }
  ~actor_fixture() { run(); }
  actor_fixture(const actor_fixture&) = delete;
  actor_fixture& operator=(const actor_fixture&) = delete;

  /// Runs every actor until no message is left; returns how many were handled.
  size_t run() { return sched.run(); }

  /// Lets exactly one actor handle one message; false if none was waiting.
  bool run_once() { return sched.try_run_once(); }

  /// Advances the fixture clock, firing due timeouts; returns how many fired.
  size_t advance(caf::timespan d) { return sched.clock().advance_time(d); }
};

}  // namespace kforge::test
