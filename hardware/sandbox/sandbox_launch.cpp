#include "hardware/sandbox/sandbox_launch.hpp"

#include "runtime/base/log.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace kforge::hardware {

namespace {

using detail::child_failure;
using detail::child_plan;
using detail::child_step;
using detail::launch_result;
using detail::spawn_setup;

// One way of isolating a child. They are tried in the order of `ns_modes`;
// one the kernel refuses for good is remembered and skipped from then on.
struct ns_mode {
  unsigned long flags;  // clone flags
  bool mounts;          // sets up the mount view (flags have CLONE_NEWNS)
  bool user_map;        // writes identity uid/gid maps (flags have CLONE_NEWUSER)
  bool for_root;        // tried when kforge runs as root
};

// Root gets PID, network, IPC and mount namespaces, then PID and network only.
// A non-root user can often get them inside a new user namespace (with maps, so
// that files it creates have an owner); as root that would map the program to
// real root, so root tries only the old map-less user namespace. Last: none.
constexpr std::array<ns_mode, 5> ns_modes = {{
    {CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS, true, false, true},
    {CLONE_NEWPID | CLONE_NEWNET, false, false, true},
    {CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS, true, true, false},
    {CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET, false, false, true},
    {0, false, false, true},
}};
constexpr std::size_t no_namespaces = ns_modes.size() - 1;

// What the kernel allows is a fixed property of the kernel and of our
// privileges: it is probed once and remembered process-wide, as is which
// isolation has been announced in the log.
struct probe_state {
  std::array<std::atomic<bool>, ns_modes.size()> unavailable{};
  std::array<std::atomic<bool>, 2 * ns_modes.size()> announced{};  // per mode, as root or not
  std::atomic<bool> drop_failed{false};
};

probe_state& probes() {
  static probe_state state;
  return state;
}

// Errors of clone that mean "this kind of namespace is not available here".
bool is_namespace_error(int err) {
  return err == EPERM || err == EINVAL || err == ENOSYS || err == EUSERS || err == ENOSPC;
}

// Errors that will not change while the process runs, so the probe can be cached.
bool is_permanent_namespace_error(int err) {
  return err == EPERM || err == EINVAL || err == ENOSYS;
}

// Errors of the maps or mounts that mean "not allowed here" rather than a bad path.
bool is_permanent_setup_error(int err) {
  return err == EPERM || err == EACCES || err == EINVAL || err == ENOSYS || err == ENODEV || err == EROFS;
}

sandbox_user resolve_sandbox_user() {
  sandbox_user user;
  auto size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(static_cast<std::size_t>(size > 0 ? std::max<long>(size, 16384) : 16384));
  passwd pw{};
  passwd* found_pw = nullptr;
  if (::getpwnam_r("nobody", &pw, buf.data(), buf.size(), &found_pw) == 0 && found_pw != nullptr) {
    user.uid = pw.pw_uid;
    user.gid = pw.pw_gid;
  }
  for (const char* name : {"nogroup", "nobody"}) {
    group gr{};
    group* found_gr = nullptr;
    if (::getgrnam_r(name, &gr, buf.data(), buf.size(), &found_gr) == 0 && found_gr != nullptr) {
      user.gid = gr.gr_gid;
      break;
    }
  }
  return user;
}

// True if `id` is mapped in this process's user namespace (`map`: /proc/self/uid_map
// or gid_map); true where the map cannot be read.
bool is_mapped(const char* map, unsigned long id) {
  std::ifstream in{map};
  if (!in)
    return true;
  unsigned long inside = 0;
  unsigned long outside = 0;
  unsigned long count = 0;
  while (in >> inside >> outside >> count) {
    if (id >= inside && id - inside < count)
      return true;
  }
  return false;
}

// True if this thread may change owners and switch uid and gid (root in a
// container may lack them).
bool has_identity_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, 2> data{};
  if (::syscall(SYS_capget, &header, data.data()) != 0)
    return false;
  auto has = [&](unsigned cap) { return (data[cap / 32].effective & (1U << (cap % 32))) != 0; };
  return has(CAP_CHOWN) && has(CAP_SETUID) && has(CAP_SETGID);
}

// The sandbox user if kforge (root) can really become it, else nothing (said once, loudly).
std::optional<sandbox_user> usable_sandbox_user() {
  auto user = resolve_sandbox_user();
  const char* problem = nullptr;
  if (!is_mapped("/proc/self/uid_map", user.uid) || !is_mapped("/proc/self/gid_map", user.gid))
    problem = "its uid or gid is not mapped in kforge's user namespace";
  else if (!has_identity_capabilities())
    problem = "kforge lacks CAP_SETUID, CAP_SETGID or CAP_CHOWN";
  if (problem == nullptr)
    return user;
  log::logger{"kforge.sandbox"}.warning(
      "SANDBOX DEGRADED: kforge runs as root but cannot switch to the sandbox "
      "user; programs run as root",
      {{"uid", user.uid}, {"why", problem}});
  return std::nullopt;
}

bool make_pipe(unique_fd& read_end, unique_fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return false;
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return true;
}

isolation_info isolation_of(const ns_mode& mode, bool dropped) {
  isolation_info info;
  info.pid_net = (mode.flags & CLONE_NEWPID) != 0;
  info.mounts = mode.mounts;
  info.user_namespace = (mode.flags & CLONE_NEWUSER) != 0;
  info.unprivileged = dropped;
  return info;
}

// Logs once per mode and identity which isolation sandboxed programs get:
// info when it is the full one, a warning when it is less.
void announce(std::size_t mode, const isolation_info& info, bool is_root) {
  if (probes().announced[2 * mode + (info.unprivileged ? 1 : 0)].exchange(true))
    return;
  log::logger log{"kforge.sandbox"};
  auto what = describe_isolation(info);
  if (!info.pid_net) {
    log.warning(
        "SANDBOX DEGRADED: cannot create PID and network namespaces; children run without them, so "
        "processes that leave their group can outlive a run and the network is reachable",
        {{"isolation", what}});
  } else if (!info.mounts) {
    log.warning("sandbox without a mount namespace: /tmp, /dev/shm and the host's /proc are shared",
                {{"isolation", what}});
  } else if (is_root && !info.unprivileged) {
    log.warning("sandboxed programs run as root (not as the sandbox user)", {{"isolation", what}});
  } else if (!is_root) {
    log.warning(
        "kforge is not root: sandboxed programs run as its own user in a user namespace; "
        "RLIMIT_NPROC counts kforge's own threads and its files are writable unless hidden",
        {{"isolation", what}});
  } else {
    log.info("sandbox isolation", {{"isolation", what}});
  }
}

// The result of one clone attempt.
struct attempt_result {
  enum class kind { started, exec_failed, next_mode, without_drop, error } what = kind::error;
  pid_t pid = -1;
  unique_fd output;
  unique_fd status;
  std::string message;  // exec_failed and error
};

// Clones a child with `mode` and waits until it has exec'd or failed.
attempt_result attempt(const spawn_options& opts, const spawn_setup& setup, std::size_t mode_index,
                       const std::optional<sandbox_user>& user) {
  const auto& mode = ns_modes[mode_index];
  attempt_result result;
  unique_fd out_w;
  unique_fd err_r;
  unique_fd err_w;
  unique_fd status_w;
  if (!make_pipe(result.output, out_w) || !make_pipe(err_r, err_w) || !make_pipe(result.status, status_w)) {
    result.message = std::string{"spawn: pipe2: "} + std::strerror(errno);
    return result;
  }
  child_plan plan = setup.base;
  plan.out_w = out_w.get();
  plan.err_w = err_w.get();
  plan.status_w = status_w.get();
  plan.cwd = setup.cwd.c_str();
  if (user) {
    plan.drop_identity = true;
    plan.uid = user->uid;
    plan.gid = user->gid;
  }
  std::string uid_map;
  std::string gid_map;
  if (mode.user_map) {
    uid_map = std::to_string(::geteuid()) + " " + std::to_string(::geteuid()) + " 1\n";
    gid_map = std::to_string(::getegid()) + " " + std::to_string(::getegid()) + " 1\n";
    plan.uid_map = uid_map.c_str();
    plan.gid_map = gid_map.c_str();
  }
  detail::mount_view view;
  if (mode.mounts) {
    detail::view_request req;
    req.cwd = opts.cwd;
    req.read_only = opts.read_only_paths;
    req.hidden = opts.hidden_paths;
    req.temp_dirs = {"/tmp", "/var/tmp", "/dev/shm"};
    req.tmpfs_bytes = opts.limits.tmpfs_bytes;
    req.uid = user ? user->uid : ::geteuid();
    req.gid = user ? user->gid : ::getegid();
    auto planned = detail::plan_mount_view(req);
    if (!planned) {
      result.message = describe(planned.error());
      return result;
    }
    view = std::move(*planned);
    view.attach(plan);
  }
  auto pid = ::syscall(SYS_clone, mode.flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0)
    detail::child_main(plan);
  if (pid < 0) {
    int err = errno;
    if (mode.flags != 0 && is_namespace_error(err)) {
      if (is_permanent_namespace_error(err))
        probes().unavailable[mode_index].store(true);
      result.what = attempt_result::kind::next_mode;
      return result;
    }
    result.message = std::string{"spawn: clone: "} + std::strerror(err);
    return result;
  }
  result.pid = static_cast<pid_t>(pid);
  out_w.reset();
  err_w.reset();
  status_w.reset();
  // The exec-error pipe closes on a successful execve; otherwise it carries the failed step.
  child_failure failure;
  std::size_t got = 0;
  while (got < sizeof failure) {
    auto n = ::read(err_r.get(), reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (got != sizeof failure) {
    result.what = attempt_result::kind::started;
    return result;
  }
  // The child has failed and exits: reap it here.
  int status = 0;
  while (::waitpid(result.pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.pid = -1;
  // What the kernel refuses to every request (maps, private mounts, tmpfs,
  // proc) rules the mode out; a path of this request that cannot be bound
  // fails this spawn only, and says which.
  std::string where;
  bool generic = failure.step == child_step::user_map;
  if (failure.step == child_step::mounts) {
    auto op = failure.mount_op;
    const auto& entries = view.entries;
    if (op < 0) {
      generic = true;
    } else if (static_cast<std::size_t>(op) < entries.size()) {
      const auto& entry = entries[static_cast<std::size_t>(op)];
      generic = entry.kind == detail::mount_kind::tmpfs || entry.kind == detail::mount_kind::proc;
      where = " " + entry.target;
    } else if (static_cast<std::size_t>(op) - entries.size() < view.sources.size()) {
      where = " " + view.sources[static_cast<std::size_t>(op) - entries.size()];
    }
  }
  if (generic && is_permanent_setup_error(failure.error)) {
    probes().unavailable[mode_index].store(true);
    log::logger{"kforge.sandbox"}.warning(
        "sandbox: namespace set-up refused, trying less isolation",
        {{"step", detail::step_text(failure.step)}, {"errno", std::strerror(failure.error)}});
    result.what = attempt_result::kind::next_mode;
    return result;
  }
  if (failure.step == child_step::identity && (failure.error == EPERM || failure.error == EINVAL)) {
    if (!probes().drop_failed.exchange(true)) {
      log::logger{"kforge.sandbox"}.warning(
          "SANDBOX DEGRADED: cannot switch to the sandbox user; programs run as root",
          {{"uid", user ? user->uid : 0}, {"errno", std::strerror(failure.error)}});
    }
    result.what = attempt_result::kind::without_drop;
    return result;
  }
  result.what = attempt_result::kind::exec_failed;
  result.message = "cannot start " + std::string{setup.base.path} + ": " + detail::step_text(failure.step) +
                   where + ": " + std::strerror(failure.error);
  return result;
}

}  // namespace

namespace detail {

launch_result launch_child(const spawn_options& opts, const spawn_setup& setup) {
  const bool is_root = ::geteuid() == 0;
  launch_result launched;
  for (std::size_t mode = opts.isolate ? 0 : no_namespaces; mode < ns_modes.size(); ++mode) {
    const auto& m = ns_modes[mode];
    if (probes().unavailable[mode].load() || (is_root && !m.for_root))
      continue;
    // A user namespace without maps cannot switch to another uid.
    std::optional<sandbox_user> user;
    if (opts.drop_privileges && (m.flags & CLONE_NEWUSER) == 0)
      user = opts.identity && sandbox_identity() ? opts.identity : sandbox_identity();
    auto result = attempt(opts, setup, mode, user);
    if (result.what == attempt_result::kind::without_drop) {
      user = std::nullopt;
      result = attempt(opts, setup, mode, user);
    }
    launched.isolation = isolation_of(m, user.has_value());
    launched.message = std::move(result.message);
    switch (result.what) {
      case attempt_result::kind::next_mode:
        continue;
      case attempt_result::kind::without_drop:
      case attempt_result::kind::error:
        launched.what = launch_result::kind::error;
        return launched;
      case attempt_result::kind::exec_failed:
        launched.what = launch_result::kind::exec_failed;
        return launched;
      case attempt_result::kind::started:
        break;
    }
    if (opts.isolate)
      announce(mode, launched.isolation, is_root);
    launched.what = launch_result::kind::started;
    launched.pid = result.pid;
    launched.output = std::move(result.output);
    launched.status = std::move(result.status);
    return launched;
  }
  launched.what = launch_result::kind::error;
  launched.message = "spawn: no way to start a child is left";
  return launched;
}

}  // namespace detail

namespace {

constexpr uid_t pool_first_uid = 0x70000000;
constexpr uid_t pool_size = 512;

// The uids no account owns, mapped in this user namespace; empty if kforge is not root.
struct uid_pool {
  std::mutex mutex;
  std::deque<uid_t> free;  // least recently returned first

  uid_pool() {
    if (::geteuid() != 0 || !is_mapped("/proc/self/uid_map", pool_first_uid) ||
        !is_mapped("/proc/self/uid_map", pool_first_uid + pool_size - 1))
      return;
    auto size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(static_cast<std::size_t>(size > 0 ? std::max<long>(size, 16384) : 16384));
    for (uid_t uid = pool_first_uid; uid < pool_first_uid + pool_size; ++uid) {
      passwd pw{};
      passwd* found = nullptr;
      if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found == nullptr)
        free.push_back(uid);
    }
  }
};

uid_pool& pool() {
  static uid_pool instance;
  return instance;
}

// The directory of the machine-wide uid claims: root's own, searchable by nobody else (a
// candidate that could create files there could claim every uid). Empty where none can be had;
// then uids are claimed within this process only, and kforge says so once.
const std::filesystem::path& claim_dir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/run/lock", ec)
                                     ? std::filesystem::path{"/run/lock"}
                                     : std::filesystem::temp_directory_path(ec);
    auto path = base / "kforge-sandbox-uids";
    ::mkdir(path.c_str(), 0700);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
        (st.st_mode & 077) != 0) {
      log::logger{"kforge.sandbox"}.warning(
          "uids are claimed per process only: the claim directory is unusable", {{"path", path.string()}});
      return std::filesystem::path{};
    }
    return path;
  }();
  return dir;
}

// Claims `uid` for the whole machine: an open, exclusively flock'd file, or -1 where another
// process holds it. -2 where claims are unavailable (the uid is then this process's alone).
int claim_uid(uid_t uid) {
  const auto& dir = claim_dir();
  if (dir.empty())
    return -2;
  auto file = dir / std::to_string(uid);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return -2;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

sandbox_user_lease sandbox_user_lease::acquire() {
  sandbox_user_lease lease;
  lease.user_ = sandbox_identity();
  if (!lease.user_)
    return lease;
  auto& p = pool();
  std::lock_guard<std::mutex> guard{p.mutex};
  // Least recently returned first, skipping uids another process has claimed.
  for (std::size_t tried = 0, count = p.free.size(); tried < count; ++tried) {
    auto uid = p.free.front();
    p.free.pop_front();
    int fd = claim_uid(uid);
    if (fd == -1) {
      p.free.push_back(uid);
      continue;
    }
    lease.user_->uid = uid;
    lease.pooled_ = true;
    lease.claim_fd_ = fd;
    return lease;
  }
  return lease;
}

sandbox_user_lease::sandbox_user_lease(sandbox_user_lease&& other) noexcept
    : user_(std::move(other.user_)),
      pooled_(std::exchange(other.pooled_, false)),
      claim_fd_(std::exchange(other.claim_fd_, -1)) {}

sandbox_user_lease& sandbox_user_lease::operator=(sandbox_user_lease&& other) noexcept {
  if (this != &other) {
    give_back();
    user_ = std::move(other.user_);
    pooled_ = std::exchange(other.pooled_, false);
    claim_fd_ = std::exchange(other.claim_fd_, -1);
  }
  return *this;
}

sandbox_user_lease::~sandbox_user_lease() {
  give_back();
}

void sandbox_user_lease::give_back() noexcept {
  if (!pooled_ || !user_)
    return;
  auto& p = pool();
  std::lock_guard<std::mutex> guard{p.mutex};
  p.free.push_back(user_->uid);
  pooled_ = false;
  // Closing the lock file ends the machine-wide claim.
  if (claim_fd_ >= 0)
    ::close(std::exchange(claim_fd_, -1));
}

std::optional<sandbox_user> sandbox_identity() {
  if (::geteuid() != 0 || probes().drop_failed.load())
    return std::nullopt;
  static const std::optional<sandbox_user> user = usable_sandbox_user();
  return user;
}

std::string describe_isolation(const isolation_info& info) {
  std::string text;
  if (info.pid_net)
    text = info.mounts ? "pid, net, ipc, mount namespaces" : "pid, net namespaces";
  else
    text = "no namespaces";
  if (info.user_namespace)
    text += " in a user namespace";
  if (info.unprivileged) {
    auto user = sandbox_identity();
    // Describing must not take a uid from the pool (that would reorder it): ask whether it has any.
    bool pooled = false;
    if (user) {
      std::lock_guard<std::mutex> guard{pool().mutex};
      pooled = !pool().free.empty();
    }
    if (pooled)
      text += "; a uid of its own per program (from " + std::to_string(pool_first_uid) + ")";
    else
      text += "; uid " + std::to_string(user ? user->uid : 65534);
  } else {
    text += "; kforge's uid " + std::to_string(::geteuid());
  }
  return text;
}

}  // namespace kforge::hardware
