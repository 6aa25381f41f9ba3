#include "actors/task/parent_choice.hpp"

#include "runtime/base/rng.hpp"

namespace kforge::actors {

step_plan plan_step(task_phase phase, const archive& arch, const memory::candidate_record* best,
                    uint64_t step_seed) {
  step_plan plan;
  plan.stage = "draft";
  if (phase != task_phase::refine)
    return plan;
  // The archive's draw gets a stream of its own ("pare"), apart from the policy's seed.
  auto pick = arch.pick_parent(mix64(step_seed ^ 0x70617265ULL));
  if (!pick.hash.empty()) {
    plan.parent.push_back(
        {pick.hash, pick.source, pick.knobs, pick.latency_ns, pick.perf_state, pick.ci_half_ns});
  } else if (best != nullptr) {
    plan.parent.push_back({best->hash, best->source, best->knobs, best->verdict.timing.median_ns,
                           best->perf_state, best->verdict.timing.ci_half_ns});
  } else {
    return plan;
  }
  plan.stage = "refine";
  return plan;
}

}  // namespace kforge::actors
