#include "actors/llm_proxy/endpoint_bandit.hpp"

#include <cmath>
#include <cstdio>

namespace kforge::actors {

endpoint_bandit::endpoint_bandit(const std::vector<std::string>& names, double exploration)
    : exploration_(exploration) {
  for (const auto& n : names)
    arms_.push_back({n, 0, 0, 0});
}

arm_choice endpoint_bandit::choose(const std::vector<bool>& eligible) const {
  arm_choice out;
  int64_t total = 0;
  for (const auto& a : arms_)
    total += a.pulls;
  for (std::size_t i = 0; i < arms_.size(); ++i)
    if (i < eligible.size() && eligible[i] && arms_[i].pulls == 0) {
      out.arm = static_cast<int32_t>(i);
      out.reason = "untried " + arms_[i].name;
      return out;
    }
  // Efficiency = mean reward per mean cost; normalised by the best arm so the
  // exploration term has the same scale whatever the currency.
  std::vector<double> eff(arms_.size(), 0);
  double best = 0;
  for (std::size_t i = 0; i < arms_.size(); ++i) {
    const auto& a = arms_[i];
    if (a.pulls == 0)
      continue;
    auto mean_reward = a.reward / static_cast<double>(a.pulls);
    auto mean_cost = a.cost / static_cast<double>(a.pulls);
    eff[i] = mean_reward / std::max(mean_cost, 1e-9);
    best = std::max(best, eff[i]);
  }
  double top = -1;
  out.reason = "ucb";
  for (std::size_t i = 0; i < arms_.size(); ++i) {
    if (i >= eligible.size() || !eligible[i])
      continue;
    const auto& a = arms_[i];
    auto score = (best > 0 ? eff[i] / best : 0) +
                 exploration_ * std::sqrt(2.0 * std::log(static_cast<double>(std::max<int64_t>(total, 1))) /
                                          static_cast<double>(a.pulls));
    char buf[96];
    std::snprintf(buf, sizeof buf, " %s=%.3f", a.name.c_str(), score);
    out.reason += buf;
    if (score > top) {
      top = score;
      out.arm = static_cast<int32_t>(i);
    }
  }
  return out;
}

void endpoint_bandit::add_call(int32_t arm, double cost) {
  if (arm < 0 || static_cast<std::size_t>(arm) >= arms_.size())
    return;
  auto& a = arms_[static_cast<std::size_t>(arm)];
  a.pulls += 1;
  a.cost += cost;
}

void endpoint_bandit::add_reward(int32_t arm, double reward) {
  if (arm < 0 || static_cast<std::size_t>(arm) >= arms_.size())
    return;
  arms_[static_cast<std::size_t>(arm)].reward += reward;
}

}  // namespace kforge::actors
