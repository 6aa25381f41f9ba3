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

#include "actors/messages.hpp"
#include "hardware/host/machine_peaks.hpp"
#include "memory/records.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/task.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace kforge::actors {

/// Budgets and thresholds of one task's search; from the campaign config.
struct step_config {
  int64_t evaluations = 20;     ///< evaluations per task
  int64_t plateau = 8;          ///< refine evaluations without improvement before stopping; 0 = never
  double draft_partial = 0.0;   ///< reward for "compiled but wrong" in draft (0 = off, DESIGN default)
  double min_reward_sd = 0.05;  ///< floor of the deviation used to normalise refine rewards
  double flag_speedup = 10.0;   ///< speedups above this are flagged for review
  /// Spread of medians of one binary between runs (relative): a new best must beat the old one
  /// by more than this and the two CIs (beats_beyond_noise), and a reward counts only gains
  /// beyond it. From [verifier] noise_threshold.
  double noise = 0.10;
};

/// Draft reward r1: +1 if feasible, -1 if not; `partial` if it compiled but failed correctness.
[[nodiscard]] double draft_reward(const kforge::verdict& v, double partial) noexcept;

/// Raw refine reward: -1 if not timed, else tanh(log g) with g = gain_beyond_noise(best, latency,
/// noise): 0 when the candidate cannot be told apart from the best. With no best yet
/// (best.count == 0) a timed candidate earns +1.
[[nodiscard]] double refine_raw_reward(const kforge::verdict& v, const kforge::timing_stats& best,
                                       double noise) noexcept;

/// Normalises a raw feasible refine reward by the task's running statistics
/// (Welford, updated in place) and clamps to [-1, 1]; infeasible stays -1.
[[nodiscard]] double normalise_refine_reward(double raw, bool timed, memory::task_record& task,
                                             double min_sd);

/// The roofline a performance state is derived from: measured peaks (or nominal
/// ones) and the classification constants; from the campaign config ([machine]).
struct roofline_config {
  double gflops = 0;                                 ///< FP32 peak of one core, GFLOP/s
  std::vector<hardware::bandwidth_point> bandwidth;  ///< bandwidth curve, ascending working set
  std::string source = "roofline";                   ///< "roofline" or "roofline+perf"
  std::string peaks = "nominal";   ///< where the peaks came from: measured | cached | nominal
  double latency_floor_ns = 2000;  ///< below this roofline time a kernel counts as latency-bound
  std::vector<double> buckets = {0.05, 0.1, 0.2, 0.35, 0.5, 0.7};  ///< efficiency bucket edges (ascending)
};

/// A task's place under the roofline: the peaks that apply to it and the time its
/// work takes at them.
struct task_roofline {
  double gbps = 0;      ///< bandwidth measured for the task's working set (task.bytes), GB/s
  double gflops = 0;    ///< FP32 FMA peak, GFLOP/s
  double floor_ns = 0;  ///< roofline time: the slower of moving task.bytes and doing task.flops
  std::string bound;    ///< latency | memory | compute; empty when the peaks are missing
};

/// The roofline of `task` under `roof` (see perf_state for the rules).
[[nodiscard]] task_roofline roofline_of(const kforge::task_def& task, const roofline_config& roof);

/// The policy request of one step of `rec`'s task, without its context, parent, feedback and
/// tried settings (the caller's): who asks, for what stage and how many, with the step's seed,
/// and the numbers of the prompt (reference latency, roofline peaks, time and bound).
[[nodiscard]] policy_request step_request(const std::string& campaign, const memory::task_record& rec,
                                          const kforge::task_def& task, const roofline_config& roof,
                                          const std::string& stage, int32_t k, uint64_t seed);

/// Performance state of a timed candidate: "family|bound|effN|source". The roofline
/// time is the slower of moving task.bytes at the bandwidth measured for that working
/// set and doing task.flops at the FMA peak; bound is "latency" when that time is
/// below latency_floor_ns (launch and loop overheads dominate), else "memory" or
/// "compute", whichever roof is lower; N is the number of bucket edges at or below
/// the achieved share of the roofline (roofline time / latency). "family|unknown"
/// when the latency or the peaks are missing.
[[nodiscard]] std::string perf_state(const kforge::task_def& task, double latency_ns,
                                     const roofline_config& roof);

/// Applies one verdict to the task's record: counters, best, phase, stop
/// reason, step. Fills `cand.reward`, `cand.speedup_vs_ref`. Returns the
/// reward for the values of the context's memory items. A candidate becomes the best only
/// if it beats the best by more than the noise (beats_beyond_noise with cfg.noise); a
/// suspect verdict (a speedup that did not hold) changes no best and earns reward 0.
double apply_verdict(memory::task_record& task, memory::candidate_record& cand, const step_config& cfg);

/// One line of verifier feedback for the policy: the candidate's statement (its optimization),
/// then "passed every gate, 12.345 us, 2.10x the reference, 1.30x the parent" when it was
/// timed, else "failed the <gate> gate" with each failing gate's detail in parentheses, whole
/// while the line stays within `chars` characters, past that cut at a line end and marked
/// "[... N more characters]".
[[nodiscard]] std::string feedback_line(const memory::candidate_record& c, int32_t chars);

/// True once the task has nothing more to do.
[[nodiscard]] inline bool is_done(const memory::task_record& task) noexcept {
  return task.phase == "done";
}

/// Records in `task` the final measurement `t` of its candidate `hash` (task_record::final_*) at
/// wall time `now_ms`.
void apply_final(memory::task_record& task, const std::string& hash, const interleaved_timing& t,
                 int64_t now_ms);

/// One proposal of a step on its way through the verifier, with what its verdict needs.
struct candidate_job {
  proposal p;
  std::string hash;  ///< candidate_hash
  std::string stage;
  std::vector<parent_info> parent;
  std::string policy;
  std::string model;
};

/// Moves the proposals whose candidate_hash is neither in `tried` nor earlier in the reply into
/// `fresh`, their hashes into `hashes` (in the same order).
void keep_untried(std::vector<proposal>& proposals, const std::set<std::string>& tried,
                  const std::string& campaign, const std::string& task_id, std::vector<proposal>& fresh,
                  std::vector<std::string>& hashes);

/// Logs one verified candidate at info level (its fields built only when that level is on).
void log_verified(const log::logger& log, const memory::candidate_record& c, bool cached);

/// A task's committed candidates in order, their sources left out (the store and the archive
/// keep those: a long campaign's tasks do not hold every kernel they tried), and its best with
/// its source.
class committed_history {
 public:
  /// Appends `c` (its source moved out and back: nothing is copied); `best_hash` is the task's
  /// best after it.
  void add(memory::candidate_record& c, const std::string& best_hash);
  /// The candidate `best_hash` with its source; nullptr if none added was the best.
  [[nodiscard]] const memory::candidate_record* best(const std::string& best_hash) const;
  /// `cand`'s first parent (the newest match), without its source; nothing for a draft or a
  /// parent the history lacks.
  [[nodiscard]] caf::optional<memory::candidate_record> parent_of(const memory::candidate_record& cand) const;
  [[nodiscard]] size_t size() const noexcept { return items_.size(); }

 private:
  std::vector<memory::candidate_record> items_;
  memory::candidate_record best_;
};

/// Candidate id: SHA-256 over (campaign, task, source).
[[nodiscard]] std::string candidate_hash(const std::string& campaign, const std::string& task_id,
                                         const std::string& source);

}  // namespace kforge::actors
