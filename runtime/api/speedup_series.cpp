#include "runtime/api/speedup_series.hpp"

#include "runtime/base/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace kforge::runtime {

std::vector<series_event> replay_bests(const std::vector<memory::task_record>& tasks,
                                       const std::vector<memory::candidate_record>& candidates,
                                       double noise) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < tasks.size(); ++i)
    index.emplace(tasks[i].task_id, i);
  // Each task's candidates in its own sequence order: the order its best was decided in.
  std::vector<std::vector<const memory::candidate_record*>> by_task(tasks.size());
  for (const auto& c : candidates) {
    auto it = index.find(c.task_id);
    if (it != index.end())
      by_task[it->second].push_back(&c);
  }
  struct keyed {
    int64_t t_ms;
    size_t task;
    int64_t seq;
    series_event event;
  };
  std::vector<keyed> all;
  all.reserve(candidates.size());
  for (size_t i = 0; i < by_task.size(); ++i) {
    auto& list = by_task[i];
    std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) { return a->seq < b->seq; });
    kforge::timing_stats best;
    for (const auto* c : list) {
      const auto& v = c->verdict;
      bool improved = v.is_timed() && (best.count == 0 || kforge::beats_beyond_noise(v.timing, best, noise));
      if (improved)
        best = kforge::latency_of(v.timing.median_ns, v.timing.ci_half_ns);
      series_event e;
      e.t_ms = c->created_ms;
      e.task = i;
      e.speedup = best.count > 0 ? kforge::speedup(tasks[i].reference_latency_ns, best.median_ns) : 0;
      e.improved = improved;
      all.push_back({c->created_ms, i, c->seq, e});
    }
  }
  std::sort(all.begin(), all.end(), [](const keyed& a, const keyed& b) {
    return std::tie(a.t_ms, a.task, a.seq) < std::tie(b.t_ms, b.task, b.seq);
  });
  std::vector<series_event> out;
  out.reserve(all.size());
  for (const auto& k : all)
    out.push_back(k.event);
  return out;
}

speedup_series compute_series(const std::vector<series_event>& events, size_t task_count, size_t max_points) {
  speedup_series out;
  out.evaluations = static_cast<int64_t>(events.size());
  if (events.empty())
    return out;
  max_points = std::max<size_t>(2, max_points);
  const size_t k = (events.size() + max_points - 1) / max_points;
  // Running sums, updated as one task's best changes: the sum of log speedups (a task without a
  // best adds log 1 = 0), and the counts above 0, 1 and 2.
  size_t n = task_count;
  for (const auto& e : events)
    n = std::max(n, e.task + 1);
  std::vector<double> best(n, 0.0);
  double log_sum = 0;
  int64_t correct = 0;
  int64_t above_1 = 0;
  int64_t above_2 = 0;
  const auto total = static_cast<double>(n);
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    double before = best[e.task];
    double after = e.speedup > 0 ? e.speedup : 0.0;
    if (after != before) {
      log_sum += (after > 0 ? std::log(after) : 0.0) - (before > 0 ? std::log(before) : 0.0);
      correct += (after > 0 ? 1 : 0) - (before > 0 ? 1 : 0);
      above_1 += (after > 1 ? 1 : 0) - (before > 1 ? 1 : 0);
      above_2 += (after > 2 ? 1 : 0) - (before > 2 ? 1 : 0);
      best[e.task] = after;
    }
    if (e.improved)
      out.last_improvement_ms = std::max(out.last_improvement_ms, e.t_ms);
    if ((i + 1) % k != 0 && i + 1 != events.size())
      continue;
    series_point p;
    p.evaluations = static_cast<int64_t>(i + 1);
    p.t_ms = e.t_ms;
    p.geomean = std::exp(log_sum / total);
    p.geomean_correct = correct > 0 ? std::exp(log_sum / static_cast<double>(correct)) : 0.0;
    p.fast_0 = static_cast<double>(correct) / total;
    p.fast_1 = static_cast<double>(above_1) / total;
    p.fast_2 = static_cast<double>(above_2) / total;
    p.improved_tasks = above_1;
    out.points.push_back(p);
  }
  return out;
}

stall_state stall_of(bool running, int64_t last_improvement_ms, int64_t run_start_ms, int64_t now_ms,
                     double stall_minutes) noexcept {
  stall_state s;
  s.since_ms = last_improvement_ms;
  if (run_start_ms > last_improvement_ms) {
    s.since_ms = run_start_ms;
    s.since_run_start = true;
  }
  if (!running || !(stall_minutes > 0) || s.since_ms <= 0)
    return s;
  s.stalled = static_cast<double>(now_ms - s.since_ms) >= stall_minutes * 60000.0;
  return s;
}

}  // namespace kforge::runtime
