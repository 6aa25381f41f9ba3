#pragma once

// Which work of a verifier pool starts next, free of CAF so that it is tested directly.
// The pool actor owns the jobs (requests, promises, binaries) and asks this class what
// to start; the class knows jobs only by id.
//
//   verify -> is_full()? errc::queue_full (back-pressure)
//          -> add: compile queue, and the task's reference queued if never asked for
//   run stage (one, holds the device): a queued reference first, then the oldest
//                                      measurement (a task's final A/B), then the oldest compiled job
//   compile slots (N): the oldest queued job whose task's reference is ready
//   reference failed -> the task's queued jobs are cancelled (no candidate can be judged)
//   drain -> no new work (errc::cancelled); drained once every queue and stage is empty

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace kforge::actors {

/// Identifies one job (one distinct candidate in flight) of a pool.
using job_id = uint64_t;

/// Where a task's reference preparation stands.
enum class prep_status {
  none,       ///< never asked for
  preparing,  ///< queued for the run stage, or running there
  ready,      ///< timed; the task's candidates may compile
  failed,     ///< its candidates are answered with the failure
};

/// The run stage's next work.
struct run_pick {
  enum class kind {
    idle,       ///< nothing to start (or the stage is busy)
    reference,  ///< prepare task_id's reference
    candidate,  ///< run job
    measure,    ///< run measurement job (built and timed on the run stage alone)
  };
  kind what = kind::idle;
  std::string task_id;  ///< the task to prepare (reference)
  job_id job = 0;       ///< the job to run (candidate)
};

/// A compile slot and the job it is offered.
struct compile_pick {
  size_t slot = 0;
  job_id job = 0;
};

/// The queues and stages of one verifier pool. Not thread-safe; owned by the pool actor.
class verify_schedule {
 public:
  /// A pool with `compile_slots` compile workers (at least 1) that refuses work once
  /// `max_queue` (at least 1) jobs wait to compile or to run.
  verify_schedule(size_t compile_slots, int32_t max_queue);

  /// With `on`, compiles and runs never overlap: no compile starts while the run stage works or
  /// a compiled job waits for it, and the run stage starts nothing while a compile is in
  /// progress. For hosts where a compile beside a timed run distorts the timing (a CPU whose
  /// timed core shares a physical core, or its caches, with the compile workers).
  void set_quiet_runs(bool on) noexcept { quiet_runs_ = on; }

  /// True if a new job must be refused with errc::queue_full.
  [[nodiscard]] bool is_full() const noexcept;

  /// Queues `job` of `task_id` to compile once the task's reference is ready, and queues the
  /// reference if it was never asked for. The caller has checked is_full() and the status.
  void add(job_id job, const std::string& task_id);

  /// Queues `job`, a measurement of `task_id` done wholly on the run stage (the pool's final
  /// A/B of a task's best against its reference): it starts once the task's reference is
  /// prepared (queued if never asked for), before any compiled candidate. Not counted by
  /// is_full(): a task asks for one when it ends.
  void add_measure(job_id job, const std::string& task_id);

  /// Where `task_id`'s reference stands.
  [[nodiscard]] prep_status status(const std::string& task_id) const;

  /// Queues the preparation of `task_id` unless it was asked for before.
  void ensure_prepared(const std::string& task_id);

  /// Records the end of `task_id`'s preparation. On failure, removes the task's queued
  /// jobs and measurements and returns them, oldest first (jobs, then measurements): the caller
  /// answers them with the failure.
  [[nodiscard]] std::vector<job_id> prepared(const std::string& task_id, bool ok);

  /// What the run stage starts now, if it is free: a queued reference first (a task
  /// waiting for its reference blocks its candidates), then the oldest compiled job.
  /// Anything but idle marks the stage busy until run_done().
  [[nodiscard]] run_pick start_run();

  /// The run stage finished its work.
  void run_done() noexcept { run_busy_ = false; }

  /// `job` is compiled (or its binary was kept): it waits for the run stage.
  void compiled(job_id job) { run_queue_.push_back(job); }

  /// `job` just ran and must run once more (a re-measurement): it goes first in the run queue.
  void rerun(job_id job) { run_queue_.push_front(job); }

  /// For each free compile slot in order, the oldest queued job whose task's reference is
  /// ready, removed from the queue; stops at the first slot without one. A slot is busy only
  /// once compile_started(): a job whose binary was kept goes to compiled() instead and
  /// leaves its slot free until the next pick.
  [[nodiscard]] std::vector<compile_pick> pick_compiles();

  /// `slot` compiles a picked job.
  void compile_started(size_t slot);

  /// `slot`'s compile ended.
  void compile_done(size_t slot);

  /// Takes no new work from now on.
  void drain() noexcept { draining_ = true; }

  /// True once drain() was called.
  [[nodiscard]] bool is_draining() const noexcept { return draining_; }

  /// True when draining and nothing is queued, compiling, preparing or running: the pool may stop.
  [[nodiscard]] bool is_drained() const noexcept;

  /// Jobs waiting for a compile slot.
  [[nodiscard]] int32_t queued() const noexcept { return static_cast<int32_t>(compile_queue_.size()); }

  /// Measurements waiting for the run stage.
  [[nodiscard]] int32_t waiting_measure() const noexcept {
    return static_cast<int32_t>(measure_queue_.size());
  }

  /// Jobs in a compile slot.
  [[nodiscard]] int32_t compiling() const noexcept { return compiling_; }

  /// Compiled jobs waiting for the run stage.
  [[nodiscard]] int32_t waiting_run() const noexcept { return static_cast<int32_t>(run_queue_.size()); }

  /// True while the run stage works.
  [[nodiscard]] bool is_running() const noexcept { return run_busy_; }

  /// Adds the time since the last call (`now_ms` on any monotonic clock, in ms) to the
  /// backlog figures, by the state that held during it. Call before every change of state.
  void account(double now_ms) noexcept;

  /// Time during which jobs waited to compile or to run, ms.
  [[nodiscard]] double backlog_ms() const noexcept { return backlog_ms_; }

  /// Run-stage busy time within backlog_ms(), ms.
  [[nodiscard]] double busy_in_backlog_ms() const noexcept { return busy_in_backlog_ms_; }

 private:
  struct queued_job {
    job_id job;
    std::string task_id;
  };

  size_t max_queue_;
  std::vector<bool> compile_busy_;
  int32_t compiling_ = 0;
  bool run_busy_ = false;
  bool draining_ = false;
  bool quiet_runs_ = false;
  std::map<std::string, prep_status> prep_;
  std::deque<std::string> prep_queue_;
  std::deque<queued_job> compile_queue_;
  std::deque<job_id> run_queue_;
  std::deque<queued_job> measure_queue_;
  bool accounted_once_ = false;
  double accounted_ms_ = 0;
  double backlog_ms_ = 0;
  double busy_in_backlog_ms_ = 0;
};

}  // namespace kforge::actors
