#pragma once

#include "hardware/sandbox/sandbox_child.hpp"
#include "hardware/sandbox/spawn_options.hpp"
#include "hardware/sandbox/unique_fd.hpp"

#include <sys/types.h>

#include <string>

// How subprocess::spawn starts its child: which isolation to try, as whom, and
// what to do when the kernel refuses a step. Internal to hardware/
// (subprocess.cpp is its only user).
namespace kforge::hardware::detail {

/// What every attempt of one spawn shares: the child plan without the pipes,
/// the mount view and the identity, and the descriptors it points to.
struct spawn_setup {
  child_plan base;    ///< path, argv, envp, stdin, rlimits, CPU mask
  std::string cwd;    ///< the working directory as given
  unique_fd devnull;  ///< the child's stdin
};

/// The outcome of launch_child.
struct launch_result {
  /// How the launch ended.
  enum class kind {
    started,      ///< execve succeeded; `pid`, `output`, `status` are set
    exec_failed,  ///< the child failed a step and is reaped; `message` says which
    error,        ///< kforge could not launch at all; `message` says why
  };
  kind what = kind::error;   ///< how it ended
  pid_t pid = -1;            ///< the child (our init where namespaced), when started
  unique_fd output;          ///< read end of its stdout+stderr pipe
  unique_fd status;          ///< read end of init's status pipe
  std::string message;       ///< for exec_failed and error
  isolation_info isolation;  ///< what it runs under
};

/// Clones the child with the most isolation the kernel allows (see
/// isolation_info for the order; refusals that will not change are remembered
/// process-wide), as sandbox_identity() when `opts.drop_privileges`, and
/// waits until it has exec'd or failed. Logs once per kind which isolation
/// applied. Thread-safe.
[[nodiscard]] launch_result launch_child(const spawn_options& opts, const spawn_setup& setup);

}  // namespace kforge::hardware::detail
