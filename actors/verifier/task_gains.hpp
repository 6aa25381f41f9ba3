#pragma once

// Which task a pool serves first when many wait: an estimate, per task, of what its next
// evaluation may gain, from the verdicts the pool gave it. Free of CAF; the schedule asks it.

#include <cstdint>
#include <string>
#include <unordered_map>

namespace kforge::actors {

class task_gains {
 public:
  /// Priority of a task the pool has not judged yet: above every judged one (it may gain most).
  static constexpr double unseen = 1e9;

  /// A timed, feasible verdict of `task_id`: `latency_ns` against the best the pool saw of it.
  void observe(const std::string& task_id, double latency_ns);

  /// A verdict without a timing (a gate failed): an evaluation that gained nothing.
  void observe_failure(const std::string& task_id);

  /// The recent gain (an exponential average, weight `decay` on the past, of log(best before /
  /// latency), 0 when not better) plus an exploration bonus c * sqrt(ln(N + 1) / (n + 1)), n the
  /// task's verdicts and N all of them; `unseen` for a task never judged.
  [[nodiscard]] double priority(const std::string& task_id) const;

  /// Verdicts observed for `task_id`.
  [[nodiscard]] int64_t count(const std::string& task_id) const;

 private:
  struct entry {
    int64_t n = 0;
    double best_ns = 0;  // 0: no timed verdict yet
    double recent = 0;   // exponential average of the log gains
  };
  void add(entry& e, double gain);

  std::unordered_map<std::string, entry> tasks_;
  int64_t total_ = 0;
  double decay_ = 0.7;
  double bonus_ = 0.1;
};

}  // namespace kforge::actors
