#pragma once

// Issue 16: who verifies what when verifier pools come and go (remote workers). A plain class
// with no CAF types; the worker router (worker_router.hpp) sequences it.
//
//   submit(job) -> queue --deal()--> the pool that serves the job's backend with the most free
//                                    slots (ties: the lowest id) -> in flight as attempt A
//   finish(A)   -> true: A is the job's current attempt (record it); false: stale (drop it)
//   lose(pool)  -> the pool's in-flight jobs go back to the front of the queue, in their order;
//                  their old attempts become stale, so a verdict that arrives late is dropped
//
// Work is dealt per job (one candidate), never per task, so a pool that joins late gets queued
// work at its first deal() and a slow pool never holds work that another could start.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kforge::actors {

/// True if a pool of device kind `device` ("cpu", "null", "cuda:0", ...) can verify tasks of
/// backend `backend`: the null device serves every backend, cpu serves cpu, a GPU every other.
[[nodiscard]] bool device_serves(const std::string& device, const std::string& backend);

/// One dispatch decided by work_dealer::deal().
struct dealt_job {
  int64_t job = 0;
  int64_t attempt = 0;  ///< unique over the dealer's life; names this try of the job
  int64_t pool = 0;
  bool first_of_task = false;  ///< the pool has not been sent this job's task before (send its definition)
};

/// The deal of jobs over pools; ids are never reused. Not thread-safe (one actor owns it).
class work_dealer {
 public:
  /// Adds a pool of `device` taking up to `slots` (at least 1) jobs at once; returns its id.
  int64_t add_pool(std::string device, int32_t slots);

  /// Removes `pool` (lost or gone); its in-flight jobs return to the front of the queue. Returns
  /// those jobs, in dispatch order. An unknown pool returns nothing.
  std::vector<int64_t> lose(int64_t pool);

  /// Queues a new job for a task of `backend`; returns its id.
  int64_t submit(std::string task_id, std::string backend);

  /// Assigns queued jobs, oldest first, to pools with a free slot that serve them; a job that
  /// no present pool serves keeps its place and does not hold back the others behind it.
  [[nodiscard]] std::vector<dealt_job> deal();

  /// True if `attempt` is its job's current attempt: the job is done and forgotten, its slot
  /// freed. False for a stale or unknown attempt (its job was re-queued, or already finished).
  bool finish(int64_t attempt);

  /// Drops a job wherever it is (queued or in flight); its current attempt becomes stale.
  void cancel(int64_t job);

  /// The job an attempt belongs to, while it is current.
  [[nodiscard]] std::optional<int64_t> job_of(int64_t attempt) const;

  /// The pool a job is in flight on; nullopt while it is queued (or unknown).
  [[nodiscard]] std::optional<int64_t> pool_of_job(int64_t job) const;

  /// The pool running `attempt`, while it is current.
  [[nodiscard]] std::optional<int64_t> pool_of_attempt(int64_t attempt) const;

  [[nodiscard]] std::size_t queued() const noexcept { return queue_.size(); }
  [[nodiscard]] std::size_t in_flight() const noexcept { return attempts_.size(); }
  [[nodiscard]] std::size_t pools() const noexcept { return pools_.size(); }
  /// Jobs a lost pool held that went back to the queue, over the dealer's life.
  [[nodiscard]] int64_t requeued() const noexcept { return requeued_; }
  /// Finish calls refused as stale, over the dealer's life.
  [[nodiscard]] int64_t stale() const noexcept { return stale_; }
  /// Jobs the pool has finished (0 for an unknown pool).
  [[nodiscard]] int64_t finished_by(int64_t pool) const;
  /// Ids of the present pools, in join order.
  [[nodiscard]] std::vector<int64_t> pool_ids() const;

 private:
  struct pool_entry {
    std::string device;
    int32_t slots = 1;
    int32_t busy = 0;
    int64_t finished = 0;
    std::set<std::string> tasks_sent;
  };
  struct job_entry {
    std::string task_id;
    std::string backend;
    int64_t attempt = 0;  ///< 0 while queued
    int64_t pool = 0;
  };

  std::map<int64_t, pool_entry> pools_;
  std::map<int64_t, job_entry> jobs_;
  std::deque<int64_t> queue_;
  std::map<int64_t, int64_t> attempts_;  ///< current attempt -> job
  int64_t next_pool_ = 1;
  int64_t next_job_ = 1;
  int64_t next_attempt_ = 1;
  int64_t requeued_ = 0;
  int64_t stale_ = 0;
};

}  // namespace kforge::actors
