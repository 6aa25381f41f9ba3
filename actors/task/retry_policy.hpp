#pragma once

// How a task actor waits when its peers push back or fail, free of CAF so that it is
// tested directly. Retries belong to the owner of the goal (STYLE.md): the verifier
// and the LLM proxy only report; the task decides when to ask again and when to stop.
//
//   verify -> errc::queue_full -> wait queue_backoff.next() -> verify again (the
//             evaluation stays in flight; a verdict resets the wait)
//          -> errc::reference_failed | bad_request -> stop: "verifier: <error>"
//          -> any other error -> the evaluation is dropped, the step goes on
//   propose -> errc::budget_exhausted -> done: "LLM budget spent"
//           -> errc::llm_unreachable, within the horizon -> wait min(base x 4^n, max wait)
//              -> propose again (the task is waiting for the model; nothing is charged)
//           -> errc::llm_unreachable past the horizon -> not done: the campaign stops
//           -> errc::llm_failed, re-asks left -> wait base x 4^n -> propose again
//           -> otherwise -> done: "policy failed"

#include "runtime/base/error.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace kforge::actors {

/// The wait between verifications the verifier refused with errc::queue_full. The first
/// wait is `first`, each further one doubles, up to `cap`; a verdict starts over.
/// Value type; owned by one task actor.
class queue_backoff {
 public:
  /// Waits from `first` (also the least wait) up to `cap`.
  explicit queue_backoff(std::chrono::milliseconds first,
                         std::chrono::milliseconds cap = std::chrono::milliseconds{5000}) noexcept
      : first_(first), cap_(cap) {}

  /// The wait before the next retry; advances the back-off.
  [[nodiscard]] std::chrono::milliseconds next() noexcept {
    current_ = std::min(cap_, std::max(first_, current_ * 2));
    return current_;
  }

  /// A verification got through: the next refusal waits `first` again.
  void reset() noexcept { current_ = std::chrono::milliseconds{0}; }

  /// The last wait handed out (0 after reset).
  [[nodiscard]] std::chrono::milliseconds current() const noexcept { return current_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds cap_;
  std::chrono::milliseconds current_{0};
};

/// What a task does after the policy failed.
struct reask_decision {
  bool ask_again = false;             ///< wait `wait`, then propose again
  std::chrono::milliseconds wait{0};  ///< only when ask_again
  std::string stop_reason;            ///< the task's stop reason when it gives up
  bool is_failure = false;            ///< giving up is an operator's concern (log an error)
  bool unreachable = false;           ///< the model stayed unreachable past the horizon: stop, not done
};

/// How long a task waits for a model that is unreachable (errc::llm_unreachable).
struct outage_config {
  std::chrono::milliseconds max_wait{60000};                 ///< cap of the wait between asks
  std::chrono::milliseconds horizon{std::chrono::hours{6}};  ///< give up this long after the first failure
};

/// How often a task asks the policy again after errc::llm_failed (the proxy's own retries are
/// spent, so the endpoint is down for longer): up to `max_reasks` times in a row, waiting
/// base x 4^n before the n-th (n from 0, the exponent capped at 8). Value type.
class reask_policy {
 public:
  /// `max_reasks` re-asks in a row, the first after `base`; `outage` for an unreachable model.
  reask_policy(int32_t max_reasks, std::chrono::milliseconds base, outage_config outage = {}) noexcept
      : max_reasks_(max_reasks), base_(base), outage_(outage) {}

  /// The decision after a failed propose with error code `code` at `now` (actor clock, only
  /// read for errc::llm_unreachable); counts a re-ask.
  [[nodiscard]] reask_decision on_failure(errc code,
                                          std::chrono::milliseconds now = std::chrono::milliseconds{0}) {
    reask_decision d;
    if (code == errc::budget_exhausted) {
      d.stop_reason = "LLM budget spent";
      return d;
    }
    if (code == errc::llm_unreachable) {
      if (!waiting_) {
        waiting_ = true;
        since_ = now;
        outage_failures_ = 0;
      }
      if (now - since_ >= outage_.horizon) {
        d.unreachable = true;
        d.stop_reason = "model unreachable";
        d.is_failure = true;
        return d;
      }
      d.ask_again = true;
      d.wait = std::min(outage_.max_wait, base_ * (int64_t{1} << (2 * std::min(outage_failures_, 8))));
      // Never wait past the horizon: the last ask comes when it passes.
      d.wait = std::max(std::chrono::milliseconds{1}, std::min(d.wait, since_ + outage_.horizon - now));
      ++outage_failures_;
      return d;
    }
    if (code == errc::llm_failed && failures_ < max_reasks_) {
      d.ask_again = true;
      d.wait = base_ * (int64_t{1} << (2 * std::min(failures_, 8)));
      ++failures_;
      return d;
    }
    d.stop_reason = "policy failed";
    d.is_failure = true;
    return d;
  }

  /// The policy answered: the count of failures in a row starts over, the wait for the model ends.
  void on_success() noexcept {
    failures_ = 0;
    waiting_ = false;
    outage_failures_ = 0;
  }

  /// Consecutive failed proposes that were asked again.
  [[nodiscard]] int32_t failures() const noexcept { return failures_; }

  /// True while the model is unreachable and the task waits for it.
  [[nodiscard]] bool is_waiting() const noexcept { return waiting_; }

  /// When the wait began (the `now` of its first failure); only meaningful while waiting.
  [[nodiscard]] std::chrono::milliseconds waiting_since() const noexcept { return since_; }

 private:
  int32_t max_reasks_;
  std::chrono::milliseconds base_;
  outage_config outage_;
  int32_t failures_ = 0;
  bool waiting_ = false;
  std::chrono::milliseconds since_{0};
  int32_t outage_failures_ = 0;
};

/// True if a verifier error other than errc::queue_full stops the task: without a
/// reference or with a request the verifier rejects, no candidate of it can be judged.
[[nodiscard]] inline bool stops_task(errc verifier_error) noexcept {
  return verifier_error == errc::reference_failed || verifier_error == errc::bad_request;
}

/// True if a verifier error stops the task for this run only, leaving it resumable (not done):
/// a failure that may pass later (is_transient: its reference timed out under load, after the
/// pool's retries) or a pool that stops (errc::cancelled).
[[nodiscard]] inline bool leaves_task_resumable(errc verifier_error) noexcept {
  return is_transient(verifier_error) || verifier_error == errc::cancelled;
}

}  // namespace kforge::actors
