#pragma once

// A verifier that implements the real typed interface and judges candidates
// by a scripted function of their source, recording every request.

#include "actors/verifier/verifier_actor.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kforge::test {

/// What the fake saw; shared with the test, which reads it after run().
struct fake_verifier_log {
  std::vector<actors::verify_request> requests;
  int references = 0;
  std::vector<actors::verify_request> remeasures;  ///< final measurements asked for
};

/// Judges one source.
using judge_fn = std::function<kforge::verdict(const std::string& source)>;

/// Spawns a fake verifier: reference timing `reference_ns`, verdicts from `judge`.
[[nodiscard]] actors::verifier_actor spawn_fake_verifier(caf::actor_system& sys, judge_fn judge,
                                                         double reference_ns,
                                                         std::shared_ptr<fake_verifier_log> log);

}  // namespace kforge::test
