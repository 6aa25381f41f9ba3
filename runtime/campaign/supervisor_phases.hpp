#pragma once

// The phases of a campaign supervisor as a plain class (no CAF types), so that
// every transition is explicit and tested on its own:
//
//   starting --open--> running <--pause / resume--> paused
//      \--pause--> paused (a campaign paused while it opens opens paused)
//   starting | running | paused --stop(reason)--> stopping
//   running | paused | stopping --close(all tasks done?)--> closing --end--> ended
//   starting | paused | stopping --fail / already_finished--> ended
//
// Grants are held while paused and refused from stopping on. The outcome
// (status) is decided on close: finished when every task is done or the wall
// budget ended the run, else stopped (resumable).

#include <string>

namespace kforge::runtime {

/// Why a supervisor stops before its tasks are done.
enum class stop_reason {
  none,               ///< not stopping (or the tasks ended on their own)
  requested,          ///< CLI, API or daemon asked (stop_atom)
  wall_budget,        ///< the campaign's wall-time budget is spent
  llm_budget,         ///< the LLM budget is spent, so no task can ask again
  model_unreachable,  ///< the model stayed unreachable past [llm] outage_horizon_s (resumable)
};

/// The one-line note for `r` ("stopped on request", "wall-time budget spent", ...); "" for none.
[[nodiscard]] std::string stop_note(stop_reason r);

/// One supervisor's phase, its stop reason and its outcome. Owned by the supervisor actor.
class supervisor_phases {
 public:
  /// The phases of the diagram in this header.
  enum class phase { starting, running, paused, stopping, closing, ended };

  /// The campaign is open and its tasks start: starting -> running. Paused or stopping stay so.
  /// False (no change) from closing or ended.
  bool open();

  /// running | starting -> paused. False (no change) otherwise.
  bool pause();

  /// paused -> running (or back to starting if it never opened). False (no change) otherwise.
  bool resume();

  /// starting | running | paused -> stopping with `reason`; true if this call started the stop.
  /// A request that comes while stopping for another reason makes the outcome "stopped".
  bool stop(stop_reason reason);

  /// Every task actor has ended: -> closing, with the outcome decided. False (no change) if
  /// already closing or ended.
  bool close(bool all_tasks_done);

  /// The end is recorded and reported: closing -> ended.
  void end();

  /// The campaign cannot be opened: -> ended with the outcome "failed".
  void fail();

  /// The store says the campaign finished in an earlier run: -> ended with the outcome "finished".
  void already_finished();

  /// The current phase.
  [[nodiscard]] phase current() const noexcept { return phase_; }

  /// Why it stops (none unless stop() was called).
  [[nodiscard]] stop_reason reason() const noexcept { return reason_; }

  /// True while paused: grants wait until resume or stop.
  [[nodiscard]] bool holds_grants() const noexcept { return phase_ == phase::paused; }

  /// True from stopping on: every grant is 0 and no task starts.
  [[nodiscard]] bool refuses_grants() const noexcept {
    return phase_ == phase::stopping || phase_ == phase::closing || phase_ == phase::ended;
  }

  /// True once close(), fail() or already_finished() was called.
  [[nodiscard]] bool is_closed() const noexcept { return phase_ == phase::closing || phase_ == phase::ended; }

  /// The status a progress snapshot shows: "running" (also while starting and stopping),
  /// "paused", then the outcome: "finished", "stopped" or "failed".
  [[nodiscard]] std::string status() const;

 private:
  phase phase_ = phase::starting;
  bool opened_ = false;
  stop_reason reason_ = stop_reason::none;
  std::string outcome_;  // set on close, fail or already_finished
};

}  // namespace kforge::runtime
