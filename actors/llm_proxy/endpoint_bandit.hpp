#pragma once

// Chooses an endpoint per request as a bandit: UCB1 over the reward earned per
// unit of cost so far. Plain class; every decision comes with a line that
// explains it, stored with the call so that choices can be reviewed.

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::actors {

/// What the bandit knows about one arm (endpoint).
struct arm_stats {
  std::string name;
  int64_t pulls = 0;  ///< completed calls
  double reward = 0;  ///< summed reward (usable kernels / kernels asked, per call)
  double cost = 0;    ///< summed cost (money, or tokens / 1e6 when the endpoint is free)
};

/// The bandit's choice and why.
struct arm_choice {
  int32_t arm = -1;    ///< index into the arms; -1 when none is eligible
  std::string reason;  ///< e.g. "ucb vllm=1.93 ollama=1.20"
};

/// UCB1 on reward per unit of cost; the reward is the number of feasible kernels a call yielded. Untried arms
/// go first (in order); then the arm with the highest mean(reward)/mean(cost) normalised to the best arm,
/// plus c * sqrt(2 ln N / n).
class endpoint_bandit {
 public:
  /// An arm per endpoint name; `exploration` is c.
  endpoint_bandit(const std::vector<std::string>& names, double exploration);

  /// Picks among the arms whose `eligible` flag is set (free slot, tokens in the bucket).
  [[nodiscard]] arm_choice choose(const std::vector<bool>& eligible) const;

  /// Records a finished call of `arm` that cost `cost`.
  void add_call(int32_t arm, double cost);

  /// Adds `reward` earned by a kernel of `arm` (reported once its verdict is known).
  void add_reward(int32_t arm, double reward);

  /// Both at once (tests, and calls whose reward is known at once).
  void update(int32_t arm, double reward, double cost) {
    add_call(arm, cost);
    add_reward(arm, reward);
  }

  /// The arms' statistics.
  [[nodiscard]] const std::vector<arm_stats>& arms() const noexcept { return arms_; }

 private:
  std::vector<arm_stats> arms_;
  double exploration_;
};

}  // namespace kforge::actors
