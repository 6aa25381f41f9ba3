#include "hardware/sandbox/sandbox_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace kforge::hardware::detail {

// The child runs in a copy of a multithreaded process: locks held by other
// threads stay locked forever. So it makes raw system calls only (no libc
// wrappers that sanitizers intercept, no stdio), and its functions are not
// instrumented by sanitizers (their runtimes do not expect a raw clone).
#define KFORGE_CHILD_CODE __attribute__((no_sanitize("address", "thread", "undefined")))

namespace {

KFORGE_CHILD_CODE [[noreturn]] void exit_now(int code) noexcept {
  ::syscall(SYS_exit_group, code);
  __builtin_unreachable();
}

KFORGE_CHILD_CODE [[noreturn]] void child_fail(int err_w, child_step step, int mount_op = -1) noexcept {
  child_failure failure{step, errno, mount_op};
  ::syscall(SYS_write, err_w, &failure, sizeof failure);
  exit_now(127);
}

KFORGE_CHILD_CODE bool move_fd(int from, int to) noexcept {
  // dup3 refuses equal descriptors; then only close-on-exec has to go.
  if (from == to)
    return ::syscall(SYS_fcntl, from, F_SETFD, 0) == 0;
  return ::syscall(SYS_dup3, from, to, 0) == to;
}

KFORGE_CHILD_CODE void close_from(unsigned int first, unsigned int last, int max_fd) noexcept {
  if (first > last)
    return;
  if (::syscall(SYS_close_range, first, last, 0U) == 0)
    return;
  auto end = last < static_cast<unsigned int>(max_fd) ? last : static_cast<unsigned int>(max_fd);
  for (auto fd = first; fd <= end; ++fd)
    ::syscall(SYS_close, fd);
}

KFORGE_CHILD_CODE std::size_t text_length(const char* text) noexcept {
  std::size_t n = 0;
  while (text[n] != '\0')
    ++n;
  return n;
}

// Writes `text` to the file at `path` in one write; true on success.
KFORGE_CHILD_CODE bool write_file(const char* path, const char* text) noexcept {
  auto fd = ::syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  auto length = text_length(text);
  auto written = ::syscall(SYS_write, fd, text, length);
  int saved = errno;
  ::syscall(SYS_close, fd);
  errno = saved;
  return written == static_cast<long>(length);
}

// Maps kforge's own uid and gid into the new user namespace, so that files
// the program creates (also in the private tmpfs) have a valid owner.
KFORGE_CHILD_CODE bool write_user_maps(const child_plan& p) noexcept {
  return write_file("/proc/self/setgroups", "deny") && write_file("/proc/self/uid_map", p.uid_map) &&
         write_file("/proc/self/gid_map", p.gid_map);
}

// "/proc/self/fd/<fd>" into `buf` (at least 32 bytes).
KFORGE_CHILD_CODE void fd_path(char* buf, int fd) noexcept {
  const char prefix[] = "/proc/self/fd/";
  std::size_t n = 0;
  for (; prefix[n] != '\0'; ++n)
    buf[n] = prefix[n];
  char digits[12];
  std::size_t count = 0;
  auto value = static_cast<unsigned int>(fd);
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && count < sizeof digits);
  while (count > 0)
    buf[n++] = digits[--count];
  buf[n] = '\0';
}

// The kernel's struct mount_attr for mount_setattr (glibc 2.36 and <linux/mount.h> clash).
struct kernel_mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
constexpr uint64_t mount_attr_rdonly = 0x1;
constexpr uint64_t mount_attr_nosuid = 0x2;
constexpr uint64_t mount_attr_nodev = 0x4;
constexpr long at_recursive = 0x8000;
constexpr long sys_mount_setattr = 442;  // the same number on every architecture

KFORGE_CHILD_CODE bool make_read_only(const char* target) noexcept {
  kernel_mount_attr attr{mount_attr_rdonly | mount_attr_nosuid | mount_attr_nodev, 0, 0, 0};
  if (::syscall(sys_mount_setattr, AT_FDCWD, target, at_recursive, &attr, sizeof attr) == 0)
    return true;
  if (errno != ENOSYS)
    return false;
  // Before Linux 5.12: a remount of the bind mount (not recursive).
  return ::syscall(SYS_mount, nullptr, target, nullptr,
                   MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0;
}

KFORGE_CHILD_CODE bool run_mount_op(const child_plan& p, const mount_op& op) noexcept {
  switch (op.kind) {
    case mount_kind::tmpfs:
      return ::syscall(SYS_mount, "tmpfs", op.target, "tmpfs", MS_NOSUID | MS_NODEV, op.data) == 0;
    case mount_kind::make_dir:
      return ::syscall(SYS_mkdirat, AT_FDCWD, op.target, 0755) == 0 || errno == EEXIST;
    case mount_kind::make_file: {
      // It may exist already, inside a bound (perhaps read-only) directory.
      if (::syscall(SYS_faccessat, AT_FDCWD, op.target, F_OK) == 0)
        return true;
      auto fd = ::syscall(SYS_openat, AT_FDCWD, op.target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0)
        return false;
      ::syscall(SYS_close, fd);
      return true;
    }
    case mount_kind::bind: {
      if (op.source < 0 || static_cast<std::size_t>(op.source) >= p.source_count) {
        errno = EINVAL;
        return false;
      }
      char source[32];
      fd_path(source, p.source_fds[op.source]);
      return ::syscall(SYS_mount, source, op.target, nullptr, MS_BIND | MS_REC, nullptr) == 0;
    }
    case mount_kind::read_only:
      return make_read_only(op.target);
    case mount_kind::proc:
      return ::syscall(SYS_mount, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
  }
  errno = EINVAL;
  return false;
}

// Makes every mount private (nothing propagates back to the host), opens the
// bind sources while they are still visible, then runs the planned operations.
// Fails the child (naming the operation) if one fails.
KFORGE_CHILD_CODE void set_up_mounts(const child_plan& p) noexcept {
  if (::syscall(SYS_mount, nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    child_fail(p.err_w, child_step::mounts);
  for (std::size_t i = 0; i < p.source_count; ++i) {
    auto fd = ::syscall(SYS_openat, AT_FDCWD, p.mount_sources[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      child_fail(p.err_w, child_step::mounts, static_cast<int>(p.mount_op_count + i));
    p.source_fds[i] = static_cast<int>(fd);
  }
  for (std::size_t i = 0; i < p.mount_op_count; ++i) {
    if (!run_mount_op(p, p.mount_ops[i]))
      child_fail(p.err_w, child_step::mounts, static_cast<int>(i));
  }
  for (std::size_t i = 0; i < p.source_count; ++i)
    ::syscall(SYS_close, p.source_fds[i]);
}

// Becomes the sandbox user: no supplementary groups, then group, then user
// (real, effective and saved), so that nothing can switch back.
KFORGE_CHILD_CODE void drop_identity(const child_plan& p) noexcept {
  if (!p.drop_identity)
    return;
  if (::syscall(SYS_setgroups, 0, nullptr) != 0 || ::syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0 ||
      ::syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) {
    child_fail(p.err_w, child_step::identity);
  }
}

// As PID 1 of the new namespace: runs the program as PID 2, reaps every
// orphan, and when the program ends writes its raw wait status to `status_w`.
// The program then has ordinary signal semantics (PID 1 ignores signals it has
// no handler for, even its own abort() or the kernel's SIGXCPU).
KFORGE_CHILD_CODE [[noreturn]] void run_as_init(const child_plan& p) noexcept {
  auto program = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (program < 0)
    child_fail(p.err_w, child_step::fork);
  if (program == 0) {
    drop_identity(p);
    ::syscall(SYS_execve, p.path, p.argv, p.envp);
    child_fail(p.err_w, child_step::exec);
  }
  ::syscall(SYS_close, p.err_w);
  for (;;) {
    int status = 0;
    auto pid = ::syscall(SYS_wait4, -1, &status, 0, nullptr);
    if (pid == program) {
      ::syscall(SYS_write, p.status_w, &status, sizeof status);
      exit_now(0);
    }
    if (pid < 0 && errno != EINTR)
      exit_now(126);
  }
}

// The kernel's struct sigaction (handler, flags, restorer, mask); all zero is SIG_DFL.
struct kernel_sigaction {
  unsigned long handler = 0;
  unsigned long flags = 0;
  unsigned long restorer = 0;
  unsigned long mask = 0;
};

}  // namespace

KFORGE_CHILD_CODE [[noreturn]] void child_main(const child_plan& p) noexcept {
  unsigned long no_signals = 0;
  if (::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &no_signals, nullptr, sizeof no_signals) != 0)
    child_fail(p.err_w, child_step::signals);
  // Ignored signals stay ignored across execve; give the program default dispositions.
  kernel_sigaction dfl;
  for (int sig = 1; sig <= 64; ++sig)
    ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  ::syscall(SYS_setpgid, 0, 0);
  // If kforge dies, the child dies with it (as PID 1 it takes its namespace along).
  ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (!move_fd(p.devnull, 0) || !move_fd(p.out_w, 1) || !move_fd(p.out_w, 2))
    child_fail(p.err_w, child_step::stdio);
  // Close every descriptor but stdio and the two report pipes (both close on exec).
  auto low = static_cast<unsigned int>(p.err_w < p.status_w ? p.err_w : p.status_w);
  auto high = static_cast<unsigned int>(p.err_w < p.status_w ? p.status_w : p.err_w);
  close_from(3, low - 1, p.max_fd);
  close_from(low + 1, high - 1, p.max_fd);
  close_from(high + 1, ~0U, p.max_fd);
  if (p.uid_map != nullptr && !write_user_maps(p))
    child_fail(p.err_w, child_step::user_map);
  if (p.mount_ops != nullptr)
    set_up_mounts(p);
  if (::syscall(SYS_chdir, p.cwd) != 0)
    child_fail(p.err_w, child_step::chdir);
  if (p.pin_cpu && ::syscall(SYS_sched_setaffinity, 0, sizeof p.cpu_mask, p.cpu_mask.data()) != 0)
    child_fail(p.err_w, child_step::affinity);
  // Niceness is inherited by every process the program starts (cc1plus, as, ld).
  if (p.nice != 0 && ::syscall(SYS_setpriority, PRIO_PROCESS, 0, p.nice) != 0)
    child_fail(p.err_w, child_step::affinity);
  for (std::size_t i = 0; i < p.limit_count; ++i) {
    rlimit64 lim{p.limits[i].soft, p.limits[i].hard};
    if (::syscall(SYS_prlimit64, 0, p.limits[i].resource, &lim, nullptr) != 0)
      child_fail(p.err_w, child_step::rlimit);
  }
  // Set-user-ID programs and file capabilities give nothing back after the drop.
  if (::syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    child_fail(p.err_w, child_step::no_new_privs);
  if (::syscall(SYS_getpid) == 1)
    run_as_init(p);
  drop_identity(p);
  // A change of credentials clears the parent-death signal: ask again.
  if (p.drop_identity)
    ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ::syscall(SYS_execve, p.path, p.argv, p.envp);
  child_fail(p.err_w, child_step::exec);
}

const char* step_text(child_step step) noexcept {
  switch (step) {
    case child_step::signals:
      return "reset signals";
    case child_step::stdio:
      return "redirect stdio";
    case child_step::chdir:
      return "chdir";
    case child_step::rlimit:
      return "setrlimit";
    case child_step::fork:
      return "fork";
    case child_step::exec:
      return "execve";
    case child_step::user_map:
      return "write the user namespace maps";
    case child_step::mounts:
      return "set up the mount namespace";
    case child_step::affinity:
      return "set the CPU affinity";
    case child_step::identity:
      return "switch to the sandbox user";
    case child_step::no_new_privs:
      return "set no_new_privs";
  }
  return "set up";
}

namespace {

namespace fs = std::filesystem;

// True if `path` is `dir` or lies below it (both canonical).
bool is_within(const fs::path& path, const fs::path& dir) {
  const auto& p = path.native();
  const auto& d = dir.native();
  if (d == "/" || p == d)
    return true;
  return p.size() > d.size() && p.compare(0, d.size(), d) == 0 && p[d.size()] == '/';
}

// Whether `uid`:`gid` (with no supplementary groups) may search the directory `st`.
bool can_search(const struct stat& st, uid_t uid, gid_t gid) {
  if (uid == 0)
    return true;
  if (st.st_uid == uid)
    return (st.st_mode & S_IXUSR) != 0;
  if (st.st_gid == gid)
    return (st.st_mode & S_IXGRP) != 0;
  return (st.st_mode & S_IXOTH) != 0;
}

// The highest directory strictly above `path` (canonical) that the user cannot
// search, or an empty path. The root directory is never returned.
fs::path first_unsearchable(const fs::path& path, uid_t uid, gid_t gid) {
  fs::path dir = "/";
  for (auto it = std::next(path.begin()); it != path.end(); ++it) {
    if (std::next(it) == path.end())
      break;
    dir /= *it;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return {};
    if (!can_search(st, uid, gid))
      return dir;
  }
  return {};
}

struct cover {
  fs::path dir;
  bool world_writable = false;  // a temp dir: everyone may write (mode 1777)
};

struct exposure {
  fs::path path;
  bool read_only = false;
  bool is_dir = false;
};

std::string tmpfs_options(int64_t bytes, bool world_writable) {
  auto size = std::max<int64_t>(bytes, 64 * 1024);
  auto inodes = std::max<int64_t>(size / 4096, 1024);
  return "size=" + std::to_string(size) + ",nr_inodes=" + std::to_string(inodes) +
         (world_writable ? ",mode=1777" : ",mode=0755");
}

}  // namespace

void mount_view::attach(child_plan& plan) {
  ops.clear();
  for (const auto& e : entries)
    ops.push_back(mount_op{e.kind, e.target.c_str(), e.data.empty() ? nullptr : e.data.c_str(), e.source});
  source_ptrs.clear();
  for (const auto& s : sources)
    source_ptrs.push_back(s.c_str());
  source_fds.assign(sources.size(), -1);
  plan.cwd = cwd.c_str();
  plan.mount_sources = source_ptrs.data();
  plan.source_fds = source_fds.data();
  plan.source_count = sources.size();
  plan.mount_ops = ops.data();
  plan.mount_op_count = ops.size();
}

caf::expected<mount_view> plan_mount_view(const view_request& req) {
  std::error_code ec;
  mount_view view;
  auto cwd = fs::canonical(req.cwd, ec);
  if (ec)
    return make_error(errc::sandbox_failed, "working directory " + req.cwd.string() + ": " + ec.message());
  view.cwd = cwd.string();
  std::vector<exposure> exposures{{cwd, false, true}};
  for (const auto& path : req.read_only) {
    auto real = fs::canonical(path, ec);
    // Pseudo file systems (the fresh /proc covers binds anyway) and the root are never bound.
    bool pseudo = is_within(real, "/proc") || is_within(real, "/sys") || is_within(real, "/dev");
    if (ec || pseudo || real == "/")
      continue;
    bool known =
        std::any_of(exposures.begin(), exposures.end(), [&](const exposure& e) { return e.path == real; });
    if (!known)
      exposures.push_back({real, true, fs::is_directory(real, ec)});
  }
  // Parents before children, so that a path inside another is bound on top of it.
  std::stable_sort(exposures.begin(), exposures.end(), [](const exposure& a, const exposure& b) {
    return a.path.native().size() < b.path.native().size();
  });
  std::vector<cover> covers;
  auto add_cover = [&](const fs::path& dir, bool world_writable) {
    auto real = fs::canonical(dir, ec);
    if (!ec && real != "/" && fs::is_directory(real, ec))
      covers.push_back({real, world_writable});
  };
  for (const auto& dir : req.temp_dirs)
    add_cover(dir, true);
  for (const auto& dir : req.hidden)
    add_cover(dir, false);
  for (const auto& e : exposures) {
    auto blocked = first_unsearchable(e.path, req.uid, req.gid);
    if (!blocked.empty())
      add_cover(blocked, false);
  }
  // A cover inside an exposed path goes on after the binds ("late"); of the
  // others, one inside another is redundant.
  auto inside_exposure = [&](const cover& c) {
    return std::any_of(exposures.begin(), exposures.end(),
                       [&](const exposure& e) { return is_within(c.dir, e.path); });
  };
  std::vector<cover> early;
  std::vector<cover> late;
  std::stable_sort(covers.begin(), covers.end(), [](const cover& a, const cover& b) {
    return a.dir.native().size() < b.dir.native().size() ||
           (a.dir == b.dir && a.world_writable > b.world_writable);
  });
  for (const auto& c : covers) {
    auto& list = inside_exposure(c) ? late : early;
    bool redundant =
        std::any_of(list.begin(), list.end(), [&](const cover& o) { return is_within(c.dir, o.dir); });
    if (!redundant)
      list.push_back(c);
  }
  for (const auto& c : early)
    view.entries.push_back(
        {mount_kind::tmpfs, c.dir.string(), tmpfs_options(req.tmpfs_bytes, c.world_writable), -1});
  for (const auto& e : exposures) {
    auto under =
        std::find_if(early.begin(), early.end(), [&](const cover& c) { return is_within(e.path, c.dir); });
    if (under == early.end() && !e.read_only)
      continue;  // reachable as it is
    if (under != early.end() && e.path != under->dir) {
      // Recreate the directories from the cover down to the path, then its mount point.
      fs::path dir = under->dir;
      auto rest = e.path.lexically_relative(under->dir);
      for (auto it = rest.begin(); it != rest.end(); ++it) {
        dir /= *it;
        bool last = std::next(it) == rest.end();
        auto kind = (!last || e.is_dir) ? mount_kind::make_dir : mount_kind::make_file;
        view.entries.push_back({kind, dir.string(), {}, -1});
      }
    }
    view.sources.push_back(e.path.string());
    view.entries.push_back(
        {mount_kind::bind, e.path.string(), {}, static_cast<int>(view.sources.size() - 1)});
    if (e.read_only)
      view.entries.push_back({mount_kind::read_only, e.path.string(), {}, -1});
  }
  for (const auto& c : late)
    view.entries.push_back({mount_kind::tmpfs, c.dir.string(), tmpfs_options(req.tmpfs_bytes, false), -1});
  view.entries.push_back({mount_kind::proc, "/proc", {}, -1});
  return view;
}

}  // namespace kforge::hardware::detail
