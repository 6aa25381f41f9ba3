#pragma once

// The exit codes of every kforge command, in one place (README, "Exit codes"). `verify` adds its
// own codes for the gate a candidate failed (verify_command.cpp); they never mean a store error.

#include "actors/messages.hpp"
#include "runtime/base/error.hpp"

namespace kforge::runtime {

constexpr int exit_ok = 0;                ///< success; for run/resume: finished or out of budget
constexpr int exit_failure = 1;           ///< kforge's own failure (machine peaks, files, another owner)
constexpr int exit_usage = 2;             ///< usage or config error: arguments, config, task files, names
constexpr int exit_nothing_achieved = 3;  ///< run/resume ended and no task has a feasible candidate
constexpr int exit_interrupted = 4;       ///< run/resume stopped unfinished (signal, unreachable model)
constexpr int exit_store = 5;             ///< the store cannot be opened, read or written

/// The exit code for an error: exit_store for errc::store_*, exit_usage for bad config, task or
/// request, exit_failure otherwise.
[[nodiscard]] inline int exit_code_of_error(const caf::error& err) noexcept {
  switch (code_of(err)) {
    case errc::store_failed:
    case errc::store_map_full:
    case errc::store_corrupt:
      return exit_store;
    case errc::bad_config:
    case errc::bad_task:
    case errc::bad_request:
      return exit_usage;
    default:
      return exit_failure;
  }
}

/// The exit code of `kforge run` / `resume` once its campaign ended with `p`: exit_failure when it
/// failed, exit_interrupted when it stopped because you stopped it (`stopped_by_user`: Ctrl-C,
/// SIGTERM) or the model stayed unreachable, exit_nothing_achieved when no task has a feasible
/// candidate, else exit_ok (finished, or out of a budget with something achieved).
[[nodiscard]] int run_exit_code(const actors::campaign_progress& p, bool stopped_by_user);

}  // namespace kforge::runtime
