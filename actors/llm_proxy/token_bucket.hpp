#pragma once

// Rate limits of one endpoint as plain classes with explicit time (ms), so
// they are tested without clocks: token buckets for requests and tokens per
// minute, and the retry schedule (exponential backoff with jitter, honouring
// Retry-After).

#include <algorithm>
#include <cstdint>
#include <random>

namespace kforge::actors {

/// A token bucket refilled continuously at `per_minute` tokens per minute, holding at most
/// `per_minute` (one minute's worth of burst). per_minute <= 0 means unlimited.
class token_bucket {
 public:
  /// A full bucket at time `now_ms`.
  token_bucket(double per_minute, double now_ms) : rate_(per_minute), level_(per_minute), last_(now_ms) {}

  /// True if `n` tokens are available at `now_ms` (after refilling).
  [[nodiscard]] bool can_take(double n, double now_ms) {
    refill(now_ms);
    return rate_ <= 0 || level_ >= std::min(n, rate_);
  }

  /// Takes `n` tokens (the level may go negative when a request is larger than the bucket,
  /// or when the real cost exceeds an estimate: later requests then wait longer).
  void take(double n, double now_ms) {
    refill(now_ms);
    if (rate_ > 0)
      level_ -= n;
  }

  /// Gives back `n` tokens (an estimate that was too high), up to the capacity.
  void give_back(double n, double now_ms) {
    refill(now_ms);
    if (rate_ > 0)
      level_ = std::min(rate_, level_ + n);
  }

  /// Milliseconds from `now_ms` until `n` tokens are available; 0 if they are now.
  [[nodiscard]] double wait_ms(double n, double now_ms) {
    refill(now_ms);
    if (rate_ <= 0)
      return 0;
    auto need = std::min(n, rate_) - level_;
    return need <= 0 ? 0 : need / rate_ * 60000.0;
  }

  /// Tokens available now (after refilling); +inf semantics are not needed: unlimited gives 0.
  [[nodiscard]] double level(double now_ms) {
    refill(now_ms);
    return level_;
  }

 private:
  void refill(double now_ms) {
    if (now_ms > last_ && rate_ > 0)
      level_ = std::min(rate_, level_ + (now_ms - last_) * rate_ / 60000.0);
    last_ = std::max(last_, now_ms);
  }
  double rate_;
  double level_;
  double last_;
};

/// Retry settings of the proxy; from the [llm] config table.
struct retry_config {
  int32_t max_attempts = 6;  ///< attempts per call, the first included
  double base_ms = 500;      ///< first backoff
  double max_ms = 30000;     ///< backoff cap (also caps Retry-After)
  double jitter = 0.5;       ///< backoff is scaled by a uniform factor in [1 - jitter, 1]
};

/// Milliseconds to wait before attempt `attempt + 1` after attempt `attempt` (1-based)
/// failed. `retry_after_ms` >= 0 (from the server) wins over the exponential schedule,
/// capped at max_ms. `rng` is the proxy's seeded generator.
[[nodiscard]] inline double backoff_ms(const retry_config& cfg, int32_t attempt, double retry_after_ms,
                                       std::mt19937_64& rng) {
  if (retry_after_ms >= 0)
    return std::min(retry_after_ms, cfg.max_ms);
  double exp = cfg.base_ms;
  for (int32_t i = 1; i < attempt && exp < cfg.max_ms; ++i)
    exp *= 2;
  exp = std::min(exp, cfg.max_ms);
  std::uniform_real_distribution<double> u{1.0 - std::clamp(cfg.jitter, 0.0, 1.0), 1.0};
  return exp * u(rng);
}

}  // namespace kforge::actors
