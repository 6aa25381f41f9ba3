#pragma once

// A campaign's figures of merit over its run, for the dashboard's charts
// (GET /api/campaigns/{c}/series): after each committed evaluation, in commit
// order, the geometric mean speedup of every task's best and fast_p (the
// share of tasks correct and more than p times faster than the reference,
// KernelBench), downsampled to a bounded number of points. Plain functions
// over store records, no CAF types, so they are tested directly.
//
// The bests are replayed from the candidates with the rule the task applies
// (actors/task/step_rules.cpp, apply_verdict): a task's first timed candidate
// is its best, a later one replaces it only when it beats it beyond the noise
// threshold. So the last point agrees with the task records.

#include "memory/records.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kforge::runtime {

/// One committed evaluation, reduced to what the series needs.
struct series_event {
  int64_t t_ms = 0;       ///< commit wall time (ms since the Unix epoch)
  size_t task = 0;        ///< index of its task among the campaign's tasks
  double speedup = 0;     ///< its task's best speedup after it (0 = no best yet)
  bool improved = false;  ///< it made a new best for its task
};

/// The figures after one evaluation.
struct series_point {
  int64_t evaluations = 0;     ///< evaluations committed so far (1-based index of the event)
  int64_t t_ms = 0;            ///< wall time of that evaluation
  double geomean = 0;          ///< geometric mean over every task; a task without a best counts 1.0
  double geomean_correct = 0;  ///< over the tasks with a best only; 0 with none
  double fast_0 = 0;           ///< share of tasks with a correct, timed best
  double fast_1 = 0;           ///< share of tasks with a best faster than the reference
  double fast_2 = 0;           ///< share of tasks with a best more than 2 times faster
  int64_t improved_tasks = 0;  ///< tasks whose best is above 1x
};

/// A campaign's series.
struct speedup_series {
  std::vector<series_point> points;  ///< at most max_points, in commit order; the last one is the last event
  int64_t evaluations = 0;           ///< every event
  int64_t last_improvement_ms = 0;   ///< wall time of the last new best of any task; 0 = none
};

/// Replays every task's best over `candidates` (any order; sorted here by commit time, then task,
/// then sequence) with noise threshold `noise`; `tasks` gives the task indices and reference
/// latencies. Candidates of tasks not in `tasks` are skipped.
[[nodiscard]] std::vector<series_event> replay_bests(const std::vector<memory::task_record>& tasks,
                                                     const std::vector<memory::candidate_record>& candidates,
                                                     double noise);

/// The series over `events` (in commit order) for a campaign of `task_count` tasks (tasks that
/// have not started count too: they have no best). At most `max_points` points (at least 2):
/// every k-th event with k = ceil(events / max_points), and always the last one.
[[nodiscard]] speedup_series compute_series(const std::vector<series_event>& events, size_t task_count,
                                            size_t max_points);

/// Whether a campaign has stalled: no task improved its best for `stall_minutes`.
struct stall_state {
  bool stalled = false;
  int64_t since_ms = 0;          ///< the last improvement, or the start of this run if later (0 = unknown)
  bool since_run_start = false;  ///< since_ms is the start of this run (no improvement in it yet)
};

/// The stall of a campaign that is `running` (other states never stall) at `now_ms`, whose last
/// improvement was at `last_improvement_ms` (0 = none) and whose current run began at
/// `run_start_ms` (0 = unknown). `stall_minutes` <= 0 turns the warning off.
[[nodiscard]] stall_state stall_of(bool running, int64_t last_improvement_ms, int64_t run_start_ms,
                                   int64_t now_ms, double stall_minutes) noexcept;

}  // namespace kforge::runtime
