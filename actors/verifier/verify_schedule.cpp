#include "actors/verifier/verify_schedule.hpp"

#include <algorithm>

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
  return it == prep_.end() ? prep_status::none : it->second;
}

void verify_schedule::ensure_prepared(const std::string& task_id) {
  auto& p = prep_[task_id];
  if (p != prep_status::none)
    return;
  p = prep_status::preparing;
  prep_queue_.push_back(task_id);
}

std::vector<job_id> verify_schedule::prepared(const std::string& task_id, bool ok) {
  prep_[task_id] = ok ? prep_status::ready : prep_status::failed;
  std::vector<job_id> cancelled;
  if (ok)
    return cancelled;
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

run_pick verify_schedule::start_run() {
  run_pick pick;
  if (run_busy_ || (quiet_runs_ && compiling_ > 0))
    return pick;
  if (!prep_queue_.empty()) {
    pick.what = run_pick::kind::reference;
    pick.task_id = prep_queue_.front();
    prep_queue_.pop_front();
    run_busy_ = true;
    return pick;
  }
  // No reference waits, so every queued measurement's task is prepared (or failed, and its
  // measurements were cancelled then).
  if (!measure_queue_.empty()) {
    pick.what = run_pick::kind::measure;
    pick.task_id = measure_queue_.front().task_id;
    pick.job = measure_queue_.front().job;
    measure_queue_.pop_front();
    run_busy_ = true;
    return pick;
  }
  if (run_queue_.empty())
    return pick;
  pick.what = run_pick::kind::candidate;
  pick.job = run_queue_.front();
  run_queue_.pop_front();
  run_busy_ = true;
  return pick;
}

std::vector<compile_pick> verify_schedule::pick_compiles() {
  std::vector<compile_pick> picks;
  if (quiet_runs_ && (run_busy_ || !run_queue_.empty() || !prep_queue_.empty() || !measure_queue_.empty()))
    return picks;
  for (size_t slot = 0; slot < compile_busy_.size(); ++slot) {
    if (compile_busy_[slot])
      continue;
    auto it = std::find_if(compile_queue_.begin(), compile_queue_.end(),
                           [&](const queued_job& q) { return status(q.task_id) == prep_status::ready; });
    if (it == compile_queue_.end())
      break;
    picks.push_back({slot, it->job});
    compile_queue_.erase(it);
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
         prep_queue_.empty() && measure_queue_.empty();
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
