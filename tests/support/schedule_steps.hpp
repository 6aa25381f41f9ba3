#pragma once

// Steps of a verifier pool's schedule that its tests take again and again.

#include "actors/verifier/verify_schedule.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace kforge::test {

/// Builds `task_id`'s reference on a free compile slot (it must be the next build) and leaves it
/// waiting for the run stage.
inline void build_reference(actors::verify_schedule& s, const std::string& task_id) {
  auto picks = s.pick_compiles();
  REQUIRE_FALSE(picks.empty());
  REQUIRE(picks.front().what == actors::compile_pick::kind::reference);
  REQUIRE(picks.front().task_id == task_id);
  s.compile_done(picks.front().slot);
  s.reference_built(task_id, false);
}

}  // namespace kforge::test
