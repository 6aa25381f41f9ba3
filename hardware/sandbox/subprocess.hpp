#pragma once

#include "hardware/sandbox/spawn_options.hpp"
#include "hardware/sandbox/unique_fd.hpp"
#include "runtime/base/error.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kforge::hardware {

/// One child process: its pid, process group and output pipe. Move-only.
///
/// The child is the first process (PID 1) of new PID, network, IPC and mount
/// namespaces: a minimal init that sets up the mount view (private tmpfs on
/// /tmp, /var/tmp and /dev/shm, a fresh /proc, hidden paths, `cwd` and
/// `read_only_paths` bound back where they were hidden), then runs the program
/// as PID 2 under sandbox_identity() with no supplementary groups and
/// no_new_privs, reaps orphans and reports the program's status. When it dies
/// the kernel kills everything inside, even processes that called setsid.
/// Where namespaces cannot be made, the program runs as a plain child in its
/// own process group and a warning is logged once; which isolation applied is
/// logged once per kind and reported. The destructor kills the group (SIGTERM,
/// grace, SIGKILL) and reaps, so no process or zombie outlives the object. Blocking; not
/// thread-safe. Spawn and wait on the same thread: the child gets SIGKILL when
/// the thread that spawned it exits (PR_SET_PDEATHSIG). SIGCHLD must not be
/// ignored (SIG_IGN would reap children before wait() sees them).
class subprocess {
 public:
  /// Starts `opts.argv` and returns once execve has succeeded or failed (a
  /// failed exec is a started process whose report has started == false).
  /// When privileges are dropped, `cwd` must be usable by sandbox_identity()
  /// (run_sandboxed hands it over). Errors: errc::sandbox_failed when pipes or
  /// the clone fail, the program is not found, `cwd` does not exist or
  /// `limits.cpu_affinity` is out of range.
  [[nodiscard]] static caf::expected<subprocess> spawn(const spawn_options& opts);

  /// Makes an empty object with no process.
  subprocess() noexcept = default;

  /// Kills the process group if it still runs and reaps the child.
  ~subprocess();

  /// Not copyable: one owner kills and reaps the process.
  subprocess(const subprocess&) = delete;
  subprocess& operator=(const subprocess&) = delete;

  /// Takes the process of `other`, which is left empty.
  subprocess(subprocess&& other) noexcept;

  /// Kills and reaps the held process, then takes the one of `other`.
  subprocess& operator=(subprocess&& other) noexcept;

  /// Reads output until the child exits or the wall-clock limit passes (then
  /// SIGTERM, grace, SIGKILL), reaps it and returns the report. Blocks; call once.
  [[nodiscard]] exit_report wait();

  /// The child's pid in this process's PID namespace, or -1.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// True if the child runs in its own PID and network namespaces.
  [[nodiscard]] bool is_isolated() const noexcept { return isolation_.pid_net; }

  /// The isolation the child runs under.
  [[nodiscard]] const isolation_info& isolation() const noexcept { return isolation_; }

 private:
  /// SIGTERM to the group if it still runs, the grace period, SIGKILL, then reaps.
  void kill_and_reap() noexcept;
  /// Reaps the child (waiting if `block`) and fills the status and resource use of `report`.
  void reap(exit_report& report, bool block) noexcept;
  /// True once the child has exited; it stays a zombie (its group id stays valid) until reaped.
  [[nodiscard]] bool has_exited() noexcept;

  pid_t pid_ = -1;            ///< the child, -1 once reaped
  unique_fd output_;          ///< read end of the stdout+stderr pipe (non-blocking)
  unique_fd pidfd_;           ///< readable when the child exits; may be absent (old kernels)
  unique_fd status_;          ///< init's report of the program's wait status (namespaced runs)
  process_limits limits_;     ///< wall-clock limit, grace and output cap
  isolation_info isolation_;  ///< what the child runs under
  bool exec_failed_ = false;  ///< the program could not be started
  std::string exec_error_;    ///< why not
  std::chrono::steady_clock::time_point start_{};  ///< just before clone
};

}  // namespace kforge::hardware
