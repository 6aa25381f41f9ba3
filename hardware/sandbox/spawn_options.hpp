#pragma once

// What a sandboxed program is started with and what comes back: limits,
// identity, spawn options, isolation and the exit report. Plain types shared
// by the launch (sandbox_launch.hpp) and the process owner (subprocess.hpp).

#include "runtime/base/error.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kforge::hardware {

/// Resource limits of one sandboxed process. A value of 0 leaves that limit as inherited.
struct process_limits {
  int64_t wall_ms = 10'000;            ///< wall-clock limit (ms); SIGTERM to the group at the deadline
  int64_t grace_ms = 250;              ///< SIGKILL follows SIGTERM after this many ms
  int64_t cpu_seconds = 0;             ///< RLIMIT_CPU (s); the kernel kills the process past it
  int64_t address_space_bytes = 0;     ///< RLIMIT_AS (bytes)
  int64_t file_size_bytes = 0;         ///< RLIMIT_FSIZE (bytes): largest file the process may write
  int64_t open_files = 64;             ///< RLIMIT_NOFILE
  int64_t processes = 64;              ///< RLIMIT_NPROC: counts every process of the user the program
                                       ///< runs as (all sandboxes share nobody's count); not applied to uid 0
  std::size_t output_cap = 16 * 1024;  ///< bytes of stdout+stderr kept; the rest is read and dropped
  int cpu_affinity = -1;  ///< pin the process and its children to this CPU (0-based); -1 = no pinning
  int nice = 0;           ///< scheduling niceness (0..19): compiles yield the CPU to the timing run
  int64_t tmpfs_bytes = 16 << 20;  ///< size of each private tmpfs (/tmp, /var/tmp, /dev/shm) in bytes
};

/// The unprivileged account sandboxed programs run as when kforge is root.
struct sandbox_user {
  uid_t uid = 65534;  ///< "nobody"
  gid_t gid = 65534;  ///< "nogroup"
};

/// The account programs spawned with `drop_privileges` run as: nobody/nogroup
/// (resolved once from the user database, 65534 where absent) when kforge runs
/// as root, nullopt when kforge is not root or the kernel refused the switch
/// (then programs run as kforge's own user). Thread-safe.
[[nodiscard]] std::optional<sandbox_user> sandbox_identity();

/// A uid of its own for one sandboxed program, so that the processes of one
/// (a fork bomb at its RLIMIT_NPROC, which counts per real uid) never count
/// against another running beside it. Leased from a pool of uids that no
/// account in the user database owns and that kforge's user namespace maps
/// (512 from 0x70000000), least recently used first; the group stays that of
/// sandbox_identity(). The pool is per process, so a uid is also claimed for the
/// whole machine with a lock file (flock, released by the kernel even when kforge
/// is killed) in a root-only directory: two kforge processes (a daemon and a
/// `kforge run`, or two test processes) never run programs as one uid. Where the
/// pool is unusable (kforge is not root, the uids are not mapped) or every uid is
/// claimed, the lease holds sandbox_identity(). Move-only; the uid goes back to
/// the pool on destruction. Thread-safe.
class sandbox_user_lease {
 public:
  sandbox_user_lease() = default;
  sandbox_user_lease(const sandbox_user_lease&) = delete;
  sandbox_user_lease& operator=(const sandbox_user_lease&) = delete;
  sandbox_user_lease(sandbox_user_lease&& other) noexcept;
  sandbox_user_lease& operator=(sandbox_user_lease&& other) noexcept;
  ~sandbox_user_lease();

  /// Leases a uid (or falls back as described above).
  [[nodiscard]] static sandbox_user_lease acquire();

  /// The account to run as; nullopt where privileges are not dropped at all.
  [[nodiscard]] const std::optional<sandbox_user>& user() const noexcept { return user_; }

 private:
  void give_back() noexcept;

  std::optional<sandbox_user> user_;
  bool pooled_ = false;  ///< user_->uid came from the pool and goes back to it
  int claim_fd_ = -1;    ///< the flock'd lock file that claims user_->uid machine-wide
};

/// What to start: the program, its whole environment, directory, limits.
struct spawn_options {
  std::vector<std::string> argv;  ///< argv[0] is a path or a name searched in the PATH of `env`
  std::vector<std::string> env;   ///< the complete environment ("KEY=value"); nothing is inherited
  std::filesystem::path cwd;      ///< working directory; must exist
  process_limits limits;          ///< wall clock, rlimits, output cap
  bool isolate = true;  ///< run in new PID, network, IPC and mount namespaces where the kernel allows it
  bool drop_privileges = true;  ///< when kforge is root, run as sandbox_identity() (see there)
  /// With drop_privileges: the account to run as instead of sandbox_identity() (a leased one, see
  /// sandbox_user_lease); ignored where privileges cannot be dropped.
  std::optional<sandbox_user> identity;
  /// Files or directories (absolute, existing) the program must be able to read
  /// although they lie in a hidden or unsearchable place; bound read-only at their
  /// own path in the mount namespace. Paths that do not exist, "/" and paths
  /// under /proc, /sys and /dev are ignored.
  std::vector<std::filesystem::path> read_only_paths;
  /// Directories replaced by an empty tmpfs in the mount namespace (for example the
  /// store); `cwd` and `read_only_paths` below them stay visible.
  std::vector<std::filesystem::path> hidden_paths;
};

/// Which isolation a sandboxed process got. As root, kforge tries PID, network,
/// IPC and mount namespaces; then PID and network; then those two in a user
/// namespace; then none. As another user: all four in a new user namespace
/// (mapping kforge's uid and gid); then PID and network in one; then none. A
/// refusal that will not change is remembered process-wide.
struct isolation_info {
  bool pid_net = false;  ///< own PID and network namespaces: nothing escapes, no network
  bool mounts = false;   ///< own mount namespace: private /tmp, /var/tmp, /dev/shm and /proc, hidden paths
  bool user_namespace = false;  ///< the namespaces live in a new user namespace (kforge is not root)
  bool unprivileged = false;    ///< runs as sandbox_identity(), not as kforge's user
};

/// Says in a few words which isolation applied: "pid, net, ipc, mount namespaces; uid 65534".
[[nodiscard]] std::string describe_isolation(const isolation_info& info);

/// How a process ended, with its captured output and resource use.
struct exit_report {
  bool started = false;           ///< execve succeeded; if false, `output` says why not
  int exit_code = -1;             ///< exit status when it exited normally, else -1
  int term_signal = 0;            ///< the signal that ended it, else 0
  bool timed_out = false;         ///< it ran past the wall-clock limit and was killed
  std::string output;             ///< stdout and stderr interleaved, at most output_cap bytes
  bool output_truncated = false;  ///< more output was produced than kept
  double wall_ms = 0;             ///< from start to reaping (ms)
  double cpu_ms = 0;              ///< user + system CPU of it and its reaped descendants (ms)
  int64_t max_rss_kib = 0;        ///< peak resident set of the largest process (KiB)
  bool isolated = false;          ///< it ran in its own PID and network namespaces
  isolation_info isolation;       ///< the isolation it ran under

  /// True if it started, exited with status 0 and was not killed.
  [[nodiscard]] bool is_success() const noexcept {
    return started && exit_code == 0 && term_signal == 0 && !timed_out;
  }
};

}  // namespace kforge::hardware
