#include "tests/support/fake_verifier.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace kforge::test {

actors::verifier_actor spawn_fake_verifier(caf::actor_system& sys, judge_fn judge, double reference_ns,
                                           std::shared_ptr<fake_verifier_log> log) {
  return sys.spawn([=](actors::verifier_actor::pointer self) -> actors::verifier_actor::behavior_type {
    return {
        [=](verify_atom, const actors::verify_request& req) -> actors::verification {
          log->requests.push_back(req);
          return actors::verification{judge(req.source), "", false};
        },
        [=](reference_atom, const std::string&) -> kforge::timing_stats {
          log->references += 1;
          kforge::timing_stats t;
          t.median_ns = reference_ns;
          t.count = 10;
          return t;
        },
        [](stats_atom) -> actors::verifier_stats { return actors::verifier_stats{}; },
        [self](drain_atom) { self->quit(); },
        [](load_atom, const std::shared_ptr<const kforge::task_map>&) {},
    };
  });
}

}  // namespace kforge::test
