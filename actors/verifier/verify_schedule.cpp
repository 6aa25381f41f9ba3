#include "actors/verifier/verify_schedule.hpp"

#include <algorithm>
#include <set>
#include <string_view>

namespace kforge::actors {

verify_schedule::verify_schedule(size_t compile_slots, int32_t max_queue)
    : max_queue_(static_cast<size_t>(std::max(1, max_queue))),
      compile_busy_(std::max<size_t>(1, compile_slots), false) {}

bool verify_schedule::is_full() const noexcept {
  return compile_queue_.size() + run_queue_.size() >= max_queue_;
}

void verify_schedule::add(job_id job, const std::string& task_id) {
  ensure_prepared(task_id);
  compile_queue_.push_back({job, task_id});
}

void verify_schedule::add_measure(job_id job, const std::string& task_id) {
  ensure_prepared(task_id);
  measure_queue_.push_back({job, task_id});
}

prep_status verify_schedule::status(const std::string& task_id) const {
  auto it = prep_.find(task_id);
  if (it == prep_.end())
    return prep_status::none;
  switch (it->second) {
    case stage::ready:
      return prep_status::ready;
    case stage::failed:
      return prep_status::failed;
    default:
      return prep_status::preparing;
  }
}

void verify_schedule::ensure_prepared(const std::string& task_id) {
  if (prep_.count(task_id) > 0)
    return;
  prep_[task_id] = stage::queued_build;
  build_queue_.push_back(task_id);
}

void verify_schedule::reference_built(const std::string& task_id, bool restored) {
  auto& p = prep_[task_id];
  if (restored) {
    p = stage::ready;
    return;
  }
  p = stage::queued_run;
  ref_run_queue_.push_back(task_id);
}

std::vector<job_id> verify_schedule::cancel_queued(const std::string& task_id) {
  std::vector<job_id> cancelled;
  for (auto it = compile_queue_.begin(); it != compile_queue_.end();) {
    if (it->task_id == task_id) {
      cancelled.push_back(it->job);
      it = compile_queue_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = measure_queue_.begin(); it != measure_queue_.end();) {
    if (it->task_id == task_id) {
      cancelled.push_back(it->job);
      it = measure_queue_.erase(it);
    } else {
      ++it;
    }
  }
  return cancelled;
}

bool verify_schedule::withdraw(job_id job) {
  auto queued = std::find_if(compile_queue_.begin(), compile_queue_.end(),
                             [job](const queued_job& q) { return q.job == job; });
  if (queued != compile_queue_.end()) {
    compile_queue_.erase(queued);
    return true;
  }
  auto compiled = std::find(run_queue_.begin(), run_queue_.end(), job);
  if (compiled != run_queue_.end()) {
    run_queue_.erase(compiled);
    return true;
  }
  return false;
}

std::vector<std::string> verify_schedule::queued_preparations() const {
  std::vector<std::string> out{build_queue_.begin(), build_queue_.end()};
  out.insert(out.end(), ref_run_queue_.begin(), ref_run_queue_.end());
  return out;
}

std::vector<job_id> verify_schedule::prepared(const std::string& task_id, bool ok) {
  auto& p = prep_[task_id];
  if (p == stage::waiting_retry)
    retrying_ -= 1;
  p = ok ? stage::ready : stage::failed;
  if (ok)
    return {};
  return cancel_queued(task_id);
}

void verify_schedule::retry_later(const std::string& task_id) {
  auto& p = prep_[task_id];
  if (p != stage::waiting_retry)
    retrying_ += 1;
  p = stage::waiting_retry;
}

bool verify_schedule::retry_now(const std::string& task_id) {
  auto it = prep_.find(task_id);
  if (it == prep_.end() || it->second != stage::waiting_retry)
    return false;
  retrying_ -= 1;
  it->second = stage::queued_build;
  build_queue_.push_back(task_id);
  return true;
}

std::vector<job_id> verify_schedule::give_up(const std::string& task_id) {
  auto it = prep_.find(task_id);
  if (it != prep_.end()) {
    if (it->second == stage::waiting_retry)
      retrying_ -= 1;
    prep_.erase(it);
  }
  build_queue_.erase(std::remove(build_queue_.begin(), build_queue_.end(), task_id), build_queue_.end());
  ref_run_queue_.erase(std::remove(ref_run_queue_.begin(), ref_run_queue_.end(), task_id),
                       ref_run_queue_.end());
  return cancel_queued(task_id);
}

run_pick verify_schedule::start_run() {
  run_pick pick;
  if (run_busy_ || (quiet_runs_ && compiling_ > 0))
    return pick;
  // A task's final measurement first (a task that ends waits on it), once its reference is ready.
  auto m = runnable_measure();
  if (m != measure_queue_.end()) {
    pick.what = run_pick::kind::measure;
    pick.task_id = m->task_id;
    pick.job = m->job;
    measure_queue_.erase(m);
    run_busy_ = true;
    return pick;
  }
  const bool have_reference = !ref_run_queue_.empty();
  const bool have_candidate = !run_queue_.empty();
  if (!have_reference && !have_candidate)
    return pick;
  // Turns: a long queue of references never holds back the candidates of prepared tasks.
  if (have_reference && (!have_candidate || run_turn_reference_)) {
    pick.what = run_pick::kind::reference;
    pick.task_id = ref_run_queue_.front();
    ref_run_queue_.pop_front();
    prep_[pick.task_id] = stage::running;
    run_turn_reference_ = false;
  } else {
    pick.what = run_pick::kind::candidate;
    pick.job = run_queue_.front();
    run_queue_.pop_front();
    run_turn_reference_ = true;
  }
  run_busy_ = true;
  return pick;
}

std::deque<verify_schedule::queued_job>::const_iterator verify_schedule::runnable_measure() const {
  return std::find_if(measure_queue_.begin(), measure_queue_.end(),
                      [&](const queued_job& q) { return status(q.task_id) == prep_status::ready; });
}

std::deque<verify_schedule::queued_job>::iterator verify_schedule::next_job() {
  const bool oldest = (job_picks_ + 1) % fifo_every_ == 0;
  auto best = compile_queue_.end();
  double best_priority = 0;
  // Two hash lookups a queued job and no allocation: a memo of the priorities (a std::map) cost
  // more than the lookups it saved, with the queue full of hundreds of tasks' jobs.
  for (auto it = compile_queue_.begin(); it != compile_queue_.end(); ++it) {
    if (status(it->task_id) != prep_status::ready)
      continue;
    if (oldest)
      return it;
    const double p = gains_.priority(it->task_id);
    if (best == compile_queue_.end() || p > best_priority) {
      best = it;
      best_priority = p;
    }
  }
  return best;
}

// The reference to build next: the oldest one that a queued candidate or measurement waits
// for, else the oldest. A resumed campaign asks for the references of all its tasks at once
// (hundreds, each restored from the store in tens of ms); the ones its first candidates need
// come first, so that they do not wait behind the rest.
std::deque<std::string>::iterator verify_schedule::next_reference() {
  std::set<std::string_view> wanted;
  for (const auto& q : compile_queue_)
    wanted.insert(q.task_id);
  for (const auto& q : measure_queue_)
    wanted.insert(q.task_id);
  for (auto it = build_queue_.begin(); it != build_queue_.end(); ++it)
    if (wanted.count(*it) > 0)
      return it;
  return build_queue_.begin();
}

std::vector<compile_pick> verify_schedule::pick_compiles() {
  std::vector<compile_pick> picks;
  // Quiet: no compile while the run stage has work it can start. A measurement whose reference
  // is not ready cannot start, and its reference needs a compile slot: it holds nothing back
  // (it did, and a pool whose resumed task asked for one before its reference stalled for good).
  if (quiet_runs_ && (run_busy_ || !run_queue_.empty() || !ref_run_queue_.empty() ||
                      runnable_measure() != measure_queue_.end()))
    return picks;
  for (size_t slot = 0; slot < compile_busy_.size(); ++slot) {
    if (compile_busy_[slot])
      continue;
    auto it = next_job();
    const bool have_candidate = it != compile_queue_.end();
    const bool have_reference = !build_queue_.empty();
    if (!have_candidate && !have_reference)
      break;
    if (have_reference && (!have_candidate || reference_streak_ < reference_turns_)) {
      auto ref = next_reference();
      compile_pick pick{slot, 0, compile_pick::kind::reference, *ref};
      build_queue_.erase(ref);
      prep_[pick.task_id] = stage::building;
      reference_streak_ += 1;
      // The slot is taken at once: the next free slot gets the next piece of work.
      compile_busy_[slot] = true;
      compiling_ += 1;
      picks.push_back(std::move(pick));
      continue;
    }
    picks.push_back({slot, it->job, compile_pick::kind::candidate, {}});
    compile_queue_.erase(it);
    job_picks_ += 1;
    reference_streak_ = 0;
  }
  return picks;
}

void verify_schedule::compile_started(size_t slot) {
  compile_busy_[slot] = true;
  compiling_ += 1;
}

void verify_schedule::compile_done(size_t slot) {
  compile_busy_[slot] = false;
  compiling_ -= 1;
}

bool verify_schedule::is_drained() const noexcept {
  return draining_ && !run_busy_ && compiling_ == 0 && compile_queue_.empty() && run_queue_.empty() &&
         build_queue_.empty() && ref_run_queue_.empty() && measure_queue_.empty() && retrying_ == 0;
}

void verify_schedule::account(double now_ms) noexcept {
  double dt = accounted_once_ ? now_ms - accounted_ms_ : 0;
  accounted_once_ = true;
  accounted_ms_ = now_ms;
  if (compile_queue_.empty() && run_queue_.empty())
    return;
  backlog_ms_ += dt;
  if (run_busy_)
    busy_in_backlog_ms_ += dt;
}

}  // namespace kforge::actors
