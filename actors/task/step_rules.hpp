#pragma once

// Decision logic of a task's draft -> refine state machine, kept free of CAF
// so that it is tested directly.
//
//   draft --(first feasible, timed candidate)--> refine --(plateau | budget)--> done
//     \------------------------(budget)-------------------------------------/
//
// Rewards follow DESIGN.md: draft r1 = +1 feasible / -1 not; refine
// r2 = -1 infeasible, else tanh(log b - log l) normalised by the task's
// running mean and deviation of raw refine rewards.

#include "hardware/task.hpp"
#include "memory/records.hpp"

#include <cstdint>
#include <string>

namespace kforge::actors {

/// Budgets and thresholds of one task's search; from the campaign config.
struct step_config {
  int64_t evaluations = 20;     ///< evaluations per task
  int64_t plateau = 8;          ///< refine evaluations without improvement before stopping; 0 = never
  double draft_partial = 0.0;   ///< reward for "compiled but wrong" in draft (0 = off, DESIGN default)
  double min_reward_sd = 0.05;  ///< floor of the deviation used to normalise refine rewards
  double flag_speedup = 10.0;   ///< speedups above this are flagged for review
};

/// Draft reward r1: +1 if feasible, -1 if not; `partial` if it compiled but failed correctness.
[[nodiscard]] double draft_reward(const hardware::verdict& v, double partial) noexcept;

/// Raw refine reward: -1 if not timed, else tanh(log best - log latency).
/// With no best yet (best_ns <= 0) a timed candidate earns +1.
[[nodiscard]] double refine_raw_reward(const hardware::verdict& v, double best_ns) noexcept;

/// Normalises a raw feasible refine reward by the task's running statistics
/// (Welford, updated in place) and clamps to [-1, 1]; infeasible stays -1.
[[nodiscard]] double normalise_refine_reward(double raw, bool timed, memory::task_record& task,
                                             double min_sd);

/// Performance state of a timed candidate from a roofline with the given peaks:
/// "family|bound|effN|source" with bound memory/compute by arithmetic
/// intensity against the ridge, and N = achieved share of the roofline in
/// tenths (0..9). `peaks_source` says where the peaks came from.
[[nodiscard]] std::string perf_state(const hardware::task_def& task, double latency_ns, double peak_gflops,
                                     double peak_gbps, const std::string& peaks_source);

/// Applies one verdict to the task's record: counters, best, phase, stop
/// reason, step. Fills `cand.reward`, `cand.speedup_vs_ref`. Returns the
/// reward for the values of the context's memory items.
double apply_verdict(memory::task_record& task, memory::candidate_record& cand, const step_config& cfg);

/// True once the task has nothing more to do.
[[nodiscard]] inline bool is_done(const memory::task_record& task) noexcept {
  return task.phase == "done";
}

}  // namespace kforge::actors
