#pragma once

#include "runtime/base/error.hpp"

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

// The child side of subprocess::spawn: what runs between clone and execve,
// and the mount view it sets up (planned by the parent, carried out by the
// child). Internal to hardware/ (subprocess.cpp is its only user).
namespace kforge::hardware::detail {

/// A set-up step of the child; reported to the parent when it fails.
enum class child_step : int {
  signals = 1,
  stdio = 2,
  chdir = 3,
  rlimit = 4,
  fork = 5,
  exec = 6,
  user_map = 7,   ///< writing the user namespace's uid and gid maps
  mounts = 8,     ///< setting up the mount view
  affinity = 9,   ///< sched_setaffinity
  identity = 10,  ///< setgroups, setresgid, setresuid to the sandbox user
  no_new_privs = 11,
};

/// What the child writes on the exec-error pipe when a step fails.
struct child_failure {
  child_step step = child_step::exec;  ///< the step that failed
  int error = 0;                       ///< its errno
  int mount_op = -1;  ///< mounts: index of the failed mount_op (op count + i: opening source i); -1: none
};

/// One rlimit to apply.
struct rlimit_setting {
  int resource = 0;  ///< RLIMIT_*
  rlim_t soft = 0;   ///< the limit the process meets first
  rlim_t hard = 0;   ///< the ceiling it cannot raise its soft limit above
};

/// What one mount-view operation does.
enum class mount_kind : int {
  tmpfs,      ///< mount a fresh tmpfs (options in `data`) on `target`
  make_dir,   ///< mkdir `target` (0755); an existing one is fine
  make_file,  ///< create an empty `target` as a mount point for a file
  bind,       ///< bind source `source` (recursively) onto `target`
  read_only,  ///< make the mount at `target` (and below) read-only
  proc,       ///< mount a fresh procfs of the new PID namespace on /proc
};

/// One operation of the mount view, run in order by the child.
struct mount_op {
  mount_kind kind = mount_kind::make_dir;  ///< what to do
  const char* target = nullptr;            ///< absolute path in the child's view
  const char* data = nullptr;              ///< tmpfs options ("size=...,mode=...")
  int source = -1;                         ///< bind: index into child_plan::mount_sources
};

/// Number of unsigned longs in the CPU mask: CPUs 0..1023.
constexpr std::size_t cpu_mask_words = 16;

/// Everything the child needs, built by the parent before clone: after clone
/// the child may only make async-signal-safe calls (the parent is multithreaded).
/// The child runs in a copy of the parent's memory, so it may write to
/// `source_fds` (its copy) without disturbing the parent.
struct child_plan {
  const char* path = nullptr;                  ///< the resolved program
  char* const* argv = nullptr;                 ///< null-terminated
  char* const* envp = nullptr;                 ///< null-terminated; the whole environment
  const char* cwd = nullptr;                   ///< working directory (in the child's view)
  int devnull = -1;                            ///< becomes stdin
  int out_w = -1;                              ///< becomes stdout and stderr
  int err_w = -1;                              ///< exec-error pipe (close-on-exec)
  int status_w = -1;                           ///< init's status pipe (close-on-exec)
  int max_fd = 1024;                           ///< highest descriptor to close where close_range is missing
  std::array<rlimit_setting, 7> limits{};      ///< applied in order
  std::size_t limit_count = 0;                 ///< entries of `limits` in use
  const char* uid_map = nullptr;               ///< "inside outside 1\n" for a new user namespace, or null
  const char* gid_map = nullptr;               ///< the same for groups (setgroups is denied first)
  const char* const* mount_sources = nullptr;  ///< paths opened (O_PATH) before any mount; bind sources
  int* source_fds = nullptr;                   ///< room for one descriptor per source
  std::size_t source_count = 0;                ///< entries of `mount_sources`
  const mount_op* mount_ops = nullptr;         ///< the mount view, in order; null: no mount namespace
  std::size_t mount_op_count = 0;              ///< entries of `mount_ops`
  bool drop_identity = false;                  ///< switch to `uid`/`gid` with no groups before execve
  uid_t uid = 0;                               ///< the sandbox user
  gid_t gid = 0;                               ///< its group
  int nice = 0;                                ///< setpriority(PRIO_PROCESS) value when non-zero
  bool pin_cpu = false;                        ///< apply `cpu_mask` with sched_setaffinity
  std::array<unsigned long, cpu_mask_words> cpu_mask{};  ///< the CPUs allowed when pin_cpu
};

/// Runs in the child after clone: resets signals, makes its own process group,
/// asks for SIGKILL when the parent dies, redirects stdio, closes every other
/// descriptor, writes the user namespace maps, sets up the mount view, changes
/// directory, pins the CPU, applies the rlimits and no_new_privs; then, as
/// PID 1 of a new namespace, runs the program as PID 2 (dropping to the
/// sandbox user there) and reports its status on `status_w`, or else drops
/// and execs the program directly. Never returns; async-signal-safe.
[[noreturn]] void child_main(const child_plan& plan) noexcept;

/// Names a step for error messages: "chdir", "execve", ...
[[nodiscard]] const char* step_text(child_step step) noexcept;

/// What the program must see in its mount namespace, and as whom.
struct view_request {
  std::filesystem::path cwd;                     ///< writable working directory (exists)
  std::vector<std::filesystem::path> read_only;  ///< to be readable at their own path
  std::vector<std::filesystem::path> hidden;     ///< directories covered by an empty tmpfs
  std::vector<std::filesystem::path> temp_dirs;  ///< world-writable places to replace (/tmp, ...)
  int64_t tmpfs_bytes = 16 << 20;                ///< size of each tmpfs
  uid_t uid = 0;                                 ///< who the program runs as (decides what it can search)
  gid_t gid = 0;                                 ///< its group
};

/// One planned mount-view operation, with owned strings.
struct mount_entry {
  mount_kind kind = mount_kind::make_dir;  ///< what to do
  std::string target;                      ///< where
  std::string data;                        ///< tmpfs options
  int source = -1;                         ///< bind: index into mount_view::sources
};

/// The mount view of one spawn: owns every string the child plan points to.
/// Built by plan_mount_view; attach() it once the object no longer moves.
struct mount_view {
  std::string cwd;                       ///< the working directory, canonical
  std::vector<mount_entry> entries;      ///< the operations, in order
  std::vector<std::string> sources;      ///< bind sources (canonical paths)
  std::vector<mount_op> ops;             ///< views of `entries`, built by attach()
  std::vector<const char*> source_ptrs;  ///< views of `sources`, built by attach()
  std::vector<int> source_fds;           ///< room for the child's descriptors

  /// Points `plan`'s mount fields at this view; `plan` must not outlive it or see it move.
  void attach(child_plan& plan);
};

/// Plans the mount view for `req`: a private tmpfs over each existing temp
/// dir and hidden directory, and over the highest directory above `cwd` or a
/// read-only path that the program's user cannot search; inside those, the
/// directories leading to `cwd` and the read-only paths are recreated and the
/// originals bound onto them (read-only paths read-only, also where nothing
/// hides them); then a fresh /proc. Errors: errc::sandbox_failed (`cwd` missing).
[[nodiscard]] caf::expected<mount_view> plan_mount_view(const view_request& req);

}  // namespace kforge::hardware::detail
