#include "actors/verifier/work_dealer.hpp"

#include <algorithm>
#include <utility>

namespace kforge::actors {

bool device_serves(const std::string& device, const std::string& backend) {
  if (device == "null")
    return true;
  if (device == "cpu")
    return backend == "cpu";
  return backend != "cpu";  // a GPU: CUDA kernels and KernelBench problems
}

int64_t work_dealer::add_pool(std::string device, int32_t slots) {
  auto id = next_pool_++;
  pool_entry p;
  p.device = std::move(device);
  p.slots = std::max(1, slots);
  pools_.emplace(id, std::move(p));
  return id;
}

std::vector<int64_t> work_dealer::lose(int64_t pool) {
  std::vector<std::pair<int64_t, int64_t>> held;  // (attempt, job): attempt order = dispatch order
  for (const auto& [attempt, job] : attempts_)
    if (jobs_.at(job).pool == pool)
      held.emplace_back(attempt, job);
  pools_.erase(pool);
  std::vector<int64_t> out;
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    attempts_.erase(it->first);
    auto& j = jobs_.at(it->second);
    j.attempt = 0;
    j.pool = 0;
    queue_.push_front(it->second);
    ++requeued_;
  }
  for (const auto& [attempt, job] : held)
    out.push_back(job);
  return out;
}

int64_t work_dealer::submit(std::string task_id, std::string backend) {
  auto id = next_job_++;
  jobs_.emplace(id, job_entry{std::move(task_id), std::move(backend), 0, 0});
  queue_.push_back(id);
  return id;
}

std::vector<dealt_job> work_dealer::deal() {
  std::vector<dealt_job> out;
  for (auto it = queue_.begin(); it != queue_.end();) {
    auto& j = jobs_.at(*it);
    // The serving pool with the most free slots; ties go to the earliest pool.
    pool_entry* best = nullptr;
    int64_t best_id = 0;
    for (auto& [id, p] : pools_) {
      if (p.busy >= p.slots || !device_serves(p.device, j.backend))
        continue;
      if (best == nullptr || p.slots - p.busy > best->slots - best->busy) {
        best = &p;
        best_id = id;
      }
    }
    if (best == nullptr) {
      ++it;
      continue;
    }
    ++best->busy;
    j.attempt = next_attempt_++;
    j.pool = best_id;
    attempts_[j.attempt] = *it;
    bool first = best->tasks_sent.insert(j.task_id).second;
    out.push_back({*it, j.attempt, best_id, first});
    it = queue_.erase(it);
  }
  return out;
}

bool work_dealer::finish(int64_t attempt) {
  auto a = attempts_.find(attempt);
  if (a == attempts_.end()) {
    ++stale_;
    return false;
  }
  auto job = a->second;
  attempts_.erase(a);
  auto j = jobs_.find(job);
  if (auto p = pools_.find(j->second.pool); p != pools_.end()) {
    --p->second.busy;
    ++p->second.finished;
  }
  jobs_.erase(j);
  return true;
}

void work_dealer::cancel(int64_t job) {
  auto j = jobs_.find(job);
  if (j == jobs_.end())
    return;
  if (j->second.attempt != 0) {
    attempts_.erase(j->second.attempt);
    if (auto p = pools_.find(j->second.pool); p != pools_.end())
      --p->second.busy;
  }
  queue_.erase(std::remove(queue_.begin(), queue_.end(), job), queue_.end());
  jobs_.erase(j);
}

std::optional<int64_t> work_dealer::job_of(int64_t attempt) const {
  auto a = attempts_.find(attempt);
  if (a == attempts_.end())
    return std::nullopt;
  return a->second;
}

std::optional<int64_t> work_dealer::pool_of_attempt(int64_t attempt) const {
  auto job = job_of(attempt);
  if (!job)
    return std::nullopt;
  return jobs_.at(*job).pool;
}

std::optional<int64_t> work_dealer::pool_of_job(int64_t job) const {
  auto j = jobs_.find(job);
  if (j == jobs_.end() || j->second.attempt == 0)
    return std::nullopt;
  return j->second.pool;
}

int64_t work_dealer::finished_by(int64_t pool) const {
  auto p = pools_.find(pool);
  return p == pools_.end() ? 0 : p->second.finished;
}

std::vector<int64_t> work_dealer::pool_ids() const {
  std::vector<int64_t> out;
  for (const auto& [id, p] : pools_)
    out.push_back(id);
  return out;
}

}  // namespace kforge::actors
