#pragma once

#include <sys/resource.h>

#include <array>
#include <cstddef>

// The child side of subprocess::spawn: what runs between clone and execve.
// Internal to hardware/ (subprocess.cpp is its only user).
namespace kforge::hardware::detail {

/// A set-up step of the child; reported to the parent when it fails.
enum class child_step : int { signals = 1, stdio = 2, chdir = 3, rlimit = 4, fork = 5, exec = 6 };

/// What the child writes on the exec-error pipe when a step fails.
struct child_failure {
  child_step step = child_step::exec;  ///< the step that failed
  int error = 0;                       ///< its errno
};

/// One rlimit to apply.
struct rlimit_setting {
  int resource = 0;  ///< RLIMIT_*
  rlim_t soft = 0;   ///< the limit the process meets first
  rlim_t hard = 0;   ///< the ceiling it cannot raise its soft limit above
};

/// Everything the child needs, built by the parent before clone: after clone
/// the child may only make async-signal-safe calls (the parent is multithreaded).
struct child_plan {
  const char* path = nullptr;              ///< the resolved program
  char* const* argv = nullptr;             ///< null-terminated
  char* const* envp = nullptr;             ///< null-terminated; the whole environment
  const char* cwd = nullptr;               ///< working directory
  int devnull = -1;                        ///< becomes stdin
  int out_w = -1;                          ///< becomes stdout and stderr
  int err_w = -1;                          ///< exec-error pipe (close-on-exec)
  int status_w = -1;                       ///< init's status pipe (close-on-exec)
  int max_fd = 1024;                       ///< highest descriptor to close where close_range is missing
  std::array<rlimit_setting, 7> limits{};  ///< applied in order
  std::size_t limit_count = 0;             ///< entries of `limits` in use
};

/// Runs in the child after clone: resets signals, makes its own process group,
/// asks for SIGKILL when the parent dies, redirects stdio, closes every other
/// descriptor, changes directory, applies the rlimits; then, as PID 1 of a new
/// namespace, runs the program as PID 2 and reports its status on `status_w`,
/// or else execs the program directly. Never returns; async-signal-safe.
[[noreturn]] void child_main(const child_plan& plan) noexcept;

/// Names a step for error messages: "chdir", "execve", ...
[[nodiscard]] const char* step_text(child_step step) noexcept;

}  // namespace kforge::hardware::detail
