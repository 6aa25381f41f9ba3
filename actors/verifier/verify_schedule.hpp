#pragma once

// Which work of a verifier pool starts next, free of CAF so that it is tested directly.
// The pool actor owns the jobs (requests, promises, binaries) and asks this class what
// to start; the class knows jobs only by id.
//
//   verify -> is_full()? errc::queue_full (back-pressure)
//          -> add: compile queue, and the task's reference queued if never asked for
//   a reference is prepared like a candidate, in two stages:
//     build (a compile slot: harness and reference program, or restored from the cache: ready)
//       -> its timed run (the run stage) -> ready | failed
//   compile slots (N): reference builds and queued jobs whose task's reference is ready, taking
//                      turns while both wait (reference_turns builds, default 3, per job); among the jobs,
//                      the task of highest expected gain (task_gains) first, except every fifo_every-th pick:
//                      the oldest (so no task starves: a job waits at most about fifo_every x its place in
//                      line)
//   run stage (one, holds the device): the oldest measurement of a prepared task (a task's final
//                      A/B) first, then built references and compiled jobs taking turns
//   reference failed -> the task's queued jobs are cancelled (no candidate can be judged)
//   a transient failure -> retry_later / retry_now (back to the build queue), or give_up: the task
//                      is as if never asked for, its queued jobs cancelled
//   drain -> no new work (errc::cancelled); drained once every queue and stage is empty
#include "actors/verifier/task_gains.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace kforge::actors {

/// Identifies one job (one distinct candidate in flight) of a pool.
using job_id = uint64_t;

/// Where a task's reference preparation stands.
enum class prep_status {
  none,       ///< never asked for (or given up after transient failures)
  preparing,  ///< building, built and waiting for the run stage, running there, or waiting to retry
  ready,      ///< timed; the task's candidates may compile
  failed,     ///< its candidates are answered with the failure
};

/// The run stage's next work.
struct run_pick {
  enum class kind {
    idle,       ///< nothing to start (or the stage is busy)
    reference,  ///< run task_id's built reference (reference_built said it needs a run)
    candidate,  ///< run job
    measure,    ///< run measurement job (built and timed on the run stage alone)
  };
  kind what = kind::idle;
  std::string task_id;  ///< the task to prepare (reference)
  job_id job = 0;       ///< the job to run (candidate)
};

/// A compile slot and the work it is offered: a job, or a task's reference to build.
struct compile_pick {
  enum class kind {
    candidate,  ///< compile `job`
    reference,  ///< build `task_id`'s reference (the slot is busy from the pick on)
  };
  size_t slot = 0;
  job_id job = 0;
  kind what = kind::candidate;
  std::string task_id;  ///< the reference's task (reference)
};

/// The queues and stages of one verifier pool. Not thread-safe; owned by the pool actor.
class verify_schedule {
 public:
  /// A pool with `compile_slots` compile workers (at least 1) that refuses work once
  /// `max_queue` (at least 1) jobs wait to compile or to run.
  verify_schedule(size_t compile_slots, int32_t max_queue);

  /// With `on`, compiles and runs never overlap: no compile starts while the run stage works or
  /// work it can start waits for it (a compiled job, a built reference, a measurement whose
  /// reference is ready; one still waiting for its reference lets that reference build), and
  /// the run stage starts nothing while a compile is in progress. For hosts where a compile
  /// beside a timed run distorts the timing (a CPU whose timed core shares a physical core, or
  /// its caches, with the compile workers).
  void set_quiet_runs(bool on) noexcept { quiet_runs_ = on; }

  /// Compile turns a reference build takes for each candidate compile while both wait (at
  /// least 1; default 3). A reference costs two compiles (harness, program) and every task
  /// waits for its own: with hundreds of tasks the candidates of the first ones would hold
  /// back the rest, and the first candidate still starts within one turn.
  void set_reference_turns(int32_t n) noexcept { reference_turns_ = std::max(1, n); }

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

  /// `task_id`'s reference is built (its compile slot's compile_done() is the caller's): with
  /// `restored` (from the cache, nothing to run) it is ready, else it waits for the run stage.
  void reference_built(const std::string& task_id, bool restored);

  /// Records the end of `task_id`'s preparation. On failure, removes the task's queued
  /// jobs and measurements and returns them, oldest first (jobs, then measurements): the caller
  /// answers them with the failure.
  [[nodiscard]] std::vector<job_id> prepared(const std::string& task_id, bool ok);

  /// A stage of `task_id`'s preparation failed in a way that may pass later: it stays
  /// preparing, waiting for retry_now() (the caller's timer) or give_up().
  void retry_later(const std::string& task_id);

  /// `task_id`, waiting to retry, goes back to the build queue. False if it was not waiting.
  bool retry_now(const std::string& task_id);

  /// Gives up `task_id`'s preparation for now: it is as if never asked for (the next request
  /// starts over), and its queued jobs and measurements are removed and returned like
  /// prepared(task_id, false) does.
  [[nodiscard]] std::vector<job_id> give_up(const std::string& task_id);

  /// What the run stage starts now, if it is free: the oldest measurement of a prepared task,
  /// then a built reference or the oldest compiled job, taking turns while both wait (so that
  /// candidates of prepared tasks are verified while other references are still prepared).
  /// Anything but idle marks the stage busy until run_done().
  [[nodiscard]] run_pick start_run();

  /// The run stage finished its work.
  void run_done() noexcept { run_busy_ = false; }

  /// `job` is compiled (or its binary was kept): it waits for the run stage.
  void compiled(job_id job) { run_queue_.push_back(job); }

  /// `job` just ran and must run once more (a re-measurement): it goes first in the run queue.
  void rerun(job_id job) { run_queue_.push_front(job); }

  /// For each free compile slot in order, a queued reference build or a queued job whose task's
  /// reference is ready (of the task with the highest gains().priority, the oldest on ties and on
  /// every fifo_every-th job pick), removed from its queue, the two taking turns while both
  /// wait; stops at the first slot without work. A reference pick holds its slot from the pick
  /// on (until compile_done()); a job's slot is busy only once compile_started(): a job whose
  /// binary was kept goes to compiled() instead and leaves its slot free until the next pick.
  [[nodiscard]] std::vector<compile_pick> pick_compiles();

  /// `slot` compiles a picked job.
  void compile_started(size_t slot);

  /// `slot`'s compile ended.
  void compile_done(size_t slot);

  /// What the pool learnt of each task's gains; verdicts go in here (observe).
  [[nodiscard]] task_gains& gains() noexcept { return gains_; }

  /// Every n-th job pick takes the oldest job whatever the gains (n >= 1; 1 = first in, first out).
  void set_fifo_every(int32_t n) noexcept { fifo_every_ = n < 1 ? 1 : n; }

  /// Takes `job` back if it has not started: waiting for a compile slot (or for its task's
  /// reference) or, compiled, for the run stage. True if it was taken back; a job compiling or
  /// running is not (it finishes and is answered).
  bool withdraw(job_id job);

  /// Takes no new work from now on.
  void drain() noexcept { draining_ = true; }

  /// Tasks whose reference preparation is queued but not started (waiting for a compile slot,
  /// or built and waiting for the run stage). A draining pool gives them up (give_up()).
  [[nodiscard]] std::vector<std::string> queued_preparations() const;

  /// True once drain() was called.
  [[nodiscard]] bool is_draining() const noexcept { return draining_; }

  /// True when draining and nothing is queued, compiling, preparing or running: the pool may stop.
  [[nodiscard]] bool is_drained() const noexcept;

  /// Jobs waiting for a compile slot.
  [[nodiscard]] int32_t queued() const noexcept { return static_cast<int32_t>(compile_queue_.size()); }

  /// References waiting for a compile slot (to build) or for the run stage (built).
  [[nodiscard]] int32_t references_waiting() const noexcept {
    return static_cast<int32_t>(build_queue_.size() + ref_run_queue_.size());
  }

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
  task_gains gains_;
  int32_t fifo_every_ = 4;
  int64_t job_picks_ = 0;  // candidate jobs picked so far (every fifo_every_-th is the oldest)
  /// Where a preparation is, finer than prep_status.
  enum class stage { queued_build, building, queued_run, running, waiting_retry, ready, failed };

  /// The oldest queued measurement whose task's reference is ready; end() when none is.
  [[nodiscard]] std::deque<queued_job>::const_iterator runnable_measure() const;
  /// The compile queue's next job by the rule of pick_compiles(); end() when none is ready.
  [[nodiscard]] std::deque<queued_job>::iterator next_job();
  /// The build queue's next reference: the oldest one a queued job waits for, else the oldest.
  [[nodiscard]] std::deque<std::string>::iterator next_reference();

  /// Removes `task_id`'s queued jobs and measurements; returns them, jobs first.
  [[nodiscard]] std::vector<job_id> cancel_queued(const std::string& task_id);

  std::unordered_map<std::string, stage> prep_;  // looked up for every queued job of a pick
  std::deque<std::string> build_queue_;          // references to build, oldest first
  std::deque<std::string> ref_run_queue_;        // built references waiting for the run stage
  int32_t retrying_ = 0;                         // preparations waiting for retry_now()
  int32_t reference_turns_ = 3;                  // set_reference_turns
  int32_t reference_streak_ = 0;                 // reference builds picked since the last candidate compile
  bool run_turn_reference_ = true;               // whose turn the run stage is when both wait
  std::deque<queued_job> compile_queue_;
  std::deque<job_id> run_queue_;
  std::deque<queued_job> measure_queue_;
  bool accounted_once_ = false;
  double accounted_ms_ = 0;
  double backlog_ms_ = 0;
  double busy_in_backlog_ms_ = 0;
};

}  // namespace kforge::actors
