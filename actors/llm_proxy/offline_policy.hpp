#pragma once

// The built-in offline policy: searches a task template's knob space. Drafts
// pick knob settings (from seed items in the context, or at random); refines
// change one or two knobs of the parent (an optimization item from the
// context, or a random change). Each change is a named optimization, so the
// same memory, values and knowledge base steer it as would steer an LLM.

#include "actors/messages.hpp"
#include "runtime/base/task.hpp"

#include <cstdint>
#include <vector>

namespace kforge::actors {

/// Exploration constants of the offline policy; from the campaign config.
struct offline_policy_config {
  double explore = 0.25;       ///< probability of ignoring the context for a random setting or change
  double second_change = 0.3;  ///< probability that a refine changes a second knob
  int32_t max_tries = 32;      ///< draws per proposal before accepting an already-tried setting
};

/// Stateless, deterministic for a given (task, request): all randomness comes from request.seed.
class offline_policy {
 public:
  /// Makes a policy with `cfg`.
  explicit offline_policy(offline_policy_config cfg) : cfg_(cfg) {}

  /// Proposes up to request.k candidates for `task`. Never proposes a setting in
  /// request.tried or twice in one reply unless max_tries draws found nothing new.
  [[nodiscard]] std::vector<proposal> propose(const kforge::task_def& task,
                                              const policy_request& request) const;

  /// True if every setting of `task`'s knob space is in `tried` (fingerprints of settings in the
  /// task's knob order, as proposals list them). Spaces of more than `space_bound` settings are
  /// not enumerated: false.
  [[nodiscard]] static bool exhausted(const kforge::task_def& task, const std::vector<uint64_t>& tried);

  static constexpr uint64_t space_bound = 4096;

 private:
  offline_policy_config cfg_;
};

/// Knob settings of a seed item's payload restricted to `task`'s knobs (values it allows); empty if none.
[[nodiscard]] std::vector<kforge::knob_setting> seed_settings(const memory::memory_item& item,
                                                              const kforge::task_def& task);

/// The knob changes an optimization item's payload describes, restricted to `task`'s knobs.
[[nodiscard]] std::vector<kforge::knob_setting> optimization_changes(const memory::memory_item& item,
                                                                     const kforge::task_def& task);

}  // namespace kforge::actors
