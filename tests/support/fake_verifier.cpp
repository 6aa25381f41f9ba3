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
        [=](remeasure_atom, const actors::verify_request& req, int32_t rounds) -> actors::interleaved_timing {
          // The reference and the judged figure, as if every interleaved round agreed.
          log->remeasures.push_back(req);
          auto v = judge(req.source);
          actors::interleaved_timing t;
          t.reference_ns = reference_ns;
          t.candidate_ns = v.is_timed() ? v.timing.median_ns : 0;
          t.rounds = rounds;
          t.detail = v.is_timed() ? "" : v.failed_gate;
          return t;
        },
        [](stats_atom) -> actors::verifier_stats { return actors::verifier_stats{}; },
        [self](drain_atom) { self->quit(); },
        [](load_atom, const std::shared_ptr<const kforge::task_map>&) {},
        [](retry_atom, const std::string&) {},
        [](stop_atom, const std::string&, const std::set<std::string>&) {},
    };
  });
}

}  // namespace kforge::test
