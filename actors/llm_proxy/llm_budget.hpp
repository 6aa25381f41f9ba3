#pragma once

// The campaign's LLM budgets in tokens and money. A call reserves its upper
// estimate before it is sent and settles with its real usage when it ends,
// so calls in flight can never together overshoot a budget (as long as a
// server reports no more tokens than the estimate allows). Plain class.

#include <cstdint>
#include <string>

namespace kforge::actors {

/// Spent and reserved tokens and money against the campaign's limits (0 = unlimited).
class llm_budget {
 public:
  /// Limits; `spent_*` is what earlier runs of the campaign already used (resume).
  llm_budget(int64_t token_limit, double cost_limit, int64_t spent_tokens = 0, double spent_cost = 0)
      : token_limit_(token_limit), cost_limit_(cost_limit), tokens_(spent_tokens), cost_(spent_cost) {}

  /// True if a call estimated at `tokens` and `cost` fits beside what is spent and reserved.
  [[nodiscard]] bool fits(int64_t tokens, double cost) const noexcept {
    return (token_limit_ <= 0 || tokens_ + reserved_tokens_ + tokens <= token_limit_) &&
           (cost_limit_ <= 0 || cost_ + reserved_cost_ + cost <= cost_limit_ + 1e-12);
  }

  /// True once not even the smallest call fits: the campaign stops asking.
  [[nodiscard]] bool is_spent(int64_t smallest_tokens, double smallest_cost) const noexcept {
    return (token_limit_ > 0 && tokens_ + smallest_tokens > token_limit_) ||
           (cost_limit_ > 0 && cost_ + smallest_cost > cost_limit_ + 1e-12);
  }

  /// Reserves an estimate for a call about to be sent.
  void reserve(int64_t tokens, double cost) noexcept {
    reserved_tokens_ += tokens;
    reserved_cost_ += cost;
  }

  /// Releases a reservation and books what the call really used.
  void settle(int64_t reserved_tokens, double reserved_cost, int64_t used_tokens, double used_cost) noexcept {
    reserved_tokens_ -= reserved_tokens;
    reserved_cost_ -= reserved_cost;
    tokens_ += used_tokens;
    cost_ += used_cost;
  }

  /// True while some call holds a reservation (in flight or waiting to retry).
  [[nodiscard]] bool has_reservations() const noexcept {
    return reserved_tokens_ > 0 || reserved_cost_ > 1e-12;
  }

  [[nodiscard]] int64_t spent_tokens() const noexcept { return tokens_; }
  [[nodiscard]] double spent_cost() const noexcept { return cost_; }
  [[nodiscard]] int64_t token_limit() const noexcept { return token_limit_; }
  [[nodiscard]] double cost_limit() const noexcept { return cost_limit_; }

  /// "tokens 1200/5000, cost 0.0031/1" for messages.
  [[nodiscard]] std::string describe() const {
    return "tokens " + std::to_string(tokens_) + "/" +
           (token_limit_ > 0 ? std::to_string(token_limit_) : "inf") + ", cost " + std::to_string(cost_) +
           "/" + (cost_limit_ > 0 ? std::to_string(cost_limit_) : "inf");
  }

 private:
  int64_t token_limit_;
  double cost_limit_;
  int64_t tokens_;
  double cost_;
  int64_t reserved_tokens_ = 0;
  double reserved_cost_ = 0;
};

}  // namespace kforge::actors
