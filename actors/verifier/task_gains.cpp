#include "actors/verifier/task_gains.hpp"

#include <algorithm>
#include <cmath>

namespace kforge::actors {

void task_gains::add(entry& e, double gain) {
  e.n += 1;
  total_ += 1;
  e.recent = decay_ * e.recent + (1 - decay_) * gain;
}

void task_gains::observe(const std::string& task_id, double latency_ns) {
  auto& e = tasks_[task_id];
  double gain = 0;
  if (latency_ns > 0 && std::isfinite(latency_ns)) {
    if (e.best_ns > 0 && latency_ns < e.best_ns)
      gain = std::log(e.best_ns / latency_ns);
    if (e.best_ns <= 0 || latency_ns < e.best_ns)
      e.best_ns = latency_ns;
  }
  add(e, gain);
}

void task_gains::observe_failure(const std::string& task_id) {
  add(tasks_[task_id], 0);
}

double task_gains::priority(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.n == 0)
    return unseen;
  const auto& e = it->second;
  return e.recent +
         bonus_ * std::sqrt(std::log(static_cast<double>(total_) + 1) / static_cast<double>(e.n + 1));
}

int64_t task_gains::count(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? 0 : it->second.n;
}

}  // namespace kforge::actors
