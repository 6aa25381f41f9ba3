#include "hardware/subprocess.hpp"

#include "hardware/sandbox_child.hpp"
#include "runtime/log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

namespace kforge::hardware {

namespace {

using detail::child_failure;
using detail::child_plan;
using detail::rlimit_setting;
using clock_type = std::chrono::steady_clock;

// Clone flag sets, most isolated first. Root gets PID + network namespaces;
// an unprivileged user can often still get them inside a new user namespace.
constexpr std::array<unsigned long, 3> clone_modes = {
    CLONE_NEWPID | CLONE_NEWNET,
    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET,
    0,
};
constexpr std::size_t no_namespaces = clone_modes.size() - 1;

// Which clone mode works is a fixed property of the kernel and of our
// privileges: it is probed once and remembered process-wide, as is the fact
// that the one loud warning about missing namespaces has been logged.
std::atomic<std::size_t>& first_mode_to_try() {
  static std::atomic<std::size_t> mode{0};
  return mode;
}

std::atomic<bool>& warned_once() {
  static std::atomic<bool> flag{false};
  return flag;
}

// Errors of clone that mean "this kind of namespace is not available here".
bool is_namespace_error(int err) {
  return err == EPERM || err == EINVAL || err == ENOSYS || err == EUSERS || err == ENOSPC;
}

// Errors that will not change while the process runs, so the probe can be cached.
bool is_permanent_namespace_error(int err) {
  return err == EPERM || err == EINVAL || err == ENOSYS;
}

// Resolves argv[0] against the child's PATH, in the parent (execvpe is not async-signal-safe).
std::string resolve_program(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos)
    return name;
  std::string path_var = "/usr/bin:/bin";
  for (const auto& entry : env)
    if (entry.rfind("PATH=", 0) == 0)
      path_var = entry.substr(5);
  std::size_t begin = 0;
  while (begin <= path_var.size()) {
    auto end = path_var.find(':', begin);
    if (end == std::string::npos)
      end = path_var.size();
    auto dir = path_var.substr(begin, end - begin);
    if (!dir.empty()) {
      auto candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0)
        return candidate;
    }
    begin = end + 1;
  }
  return {};
}

// Applies `limit` as a soft and hard limit, never above the current hard limit.
// RLIMIT_CPU gets one more second of hard limit, so that the kernel sends
// SIGXCPU (which says why) before SIGKILL.
void add_limit(child_plan& plan, int resource, int64_t limit) {
  if (limit <= 0 && resource != RLIMIT_CORE)
    return;
  rlimit current{};
  auto soft = static_cast<rlim_t>(std::max<int64_t>(limit, 0));
  auto hard = resource == RLIMIT_CPU ? soft + 1 : soft;
  if (::getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY) {
    soft = std::min(soft, current.rlim_max);
    hard = std::min(hard, current.rlim_max);
  }
  plan.limits[plan.limit_count++] = rlimit_setting{resource, soft, hard};
}

std::vector<char*> to_pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool make_pipe(unique_fd& read_end, unique_fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return false;
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return true;
}

void warn_no_namespaces(int err) {
  if (warned_once().exchange(true))
    return;
  log::logger{"kforge.sandbox"}.warning(
      "SANDBOX DEGRADED: cannot create PID and network namespaces; children run without them, so "
      "processes that leave their group can outlive a run and the network is reachable",
      {{"errno", std::strerror(err)}});
}

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Reads what the pipe has now into `report` (up to the cap; the rest is dropped),
// at most 1 MiB per call so that a chatty child cannot keep the caller from its
// deadline. Returns false at end of file or on a read error.
bool drain_output(int fd, exit_report& report, std::size_t cap) {
  char buf[64 * 1024];
  for (int chunk = 0; chunk < 16; ++chunk) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      auto got = static_cast<std::size_t>(n);
      auto room = cap > report.output.size() ? cap - report.output.size() : 0;
      report.output.append(buf, std::min(room, got));
      if (got > room)
        report.output_truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

}  // namespace

caf::expected<subprocess> subprocess::spawn(const spawn_options& opts) {
  if (opts.argv.empty())
    return make_error(errc::sandbox_failed, "spawn: empty argv");
  auto program = resolve_program(opts.argv.front(), opts.env);
  if (program.empty()) {
    return make_error(errc::sandbox_failed,
                      "spawn: program '" + opts.argv.front() + "' not found in the sandbox PATH");
  }
  // Everything the child touches is built here, before clone.
  auto argv_strings = opts.argv;
  auto env_strings = opts.env;
  auto argv_ptrs = to_pointers(argv_strings);
  auto env_ptrs = to_pointers(env_strings);
  auto cwd = opts.cwd.string();
  unique_fd out_r;
  unique_fd out_w;
  unique_fd err_r;
  unique_fd err_w;
  unique_fd status_r;
  unique_fd status_w;
  if (!make_pipe(out_r, out_w) || !make_pipe(err_r, err_w) || !make_pipe(status_r, status_w)) {
    return make_error(errc::sandbox_failed, std::string{"spawn: pipe2: "} + std::strerror(errno));
  }
  unique_fd devnull{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
  if (!devnull.is_open())
    return make_error(errc::sandbox_failed, std::string{"spawn: /dev/null: "} + std::strerror(errno));
  child_plan plan;
  plan.path = program.c_str();
  plan.argv = argv_ptrs.data();
  plan.envp = env_ptrs.data();
  plan.cwd = cwd.c_str();
  plan.devnull = devnull.get();
  plan.out_w = out_w.get();
  plan.err_w = err_w.get();
  plan.status_w = status_w.get();
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    plan.max_fd = static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 65536));
  }
  const auto& lim = opts.limits;
  add_limit(plan, RLIMIT_CORE, 0);
  add_limit(plan, RLIMIT_CPU, lim.cpu_seconds);
  add_limit(plan, RLIMIT_AS, lim.address_space_bytes);
  add_limit(plan, RLIMIT_FSIZE, lim.file_size_bytes);
  add_limit(plan, RLIMIT_NOFILE, lim.open_files);
  add_limit(plan, RLIMIT_NPROC, lim.processes);

  subprocess proc;
  proc.limits_ = lim;
  proc.start_ = clock_type::now();
  long pid = -1;
  int last_error = 0;
  auto first = opts.isolate ? first_mode_to_try().load() : no_namespaces;
  for (auto mode = first; mode < clone_modes.size(); ++mode) {
    pid = ::syscall(SYS_clone, clone_modes[mode] | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
      detail::child_main(plan);
    if (pid > 0) {
      proc.isolated_ = mode != no_namespaces;
      break;
    }
    last_error = errno;
    if (mode == no_namespaces || !is_namespace_error(last_error)) {
      return make_error(errc::sandbox_failed, std::string{"spawn: clone: "} + std::strerror(last_error));
    }
    if (is_permanent_namespace_error(last_error))
      first_mode_to_try().store(mode + 1);
  }
  if (opts.isolate && !proc.isolated_)
    warn_no_namespaces(last_error);
  proc.pid_ = static_cast<pid_t>(pid);
  out_w.reset();
  err_w.reset();
  status_w.reset();
  // Non-blocking: the status is written before init exits, or never.
  ::fcntl(status_r.get(), F_SETFL, ::fcntl(status_r.get(), F_GETFL) | O_NONBLOCK);
  proc.status_ = std::move(status_r);

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
  if (got == sizeof failure) {
    exit_report ignored;
    proc.reap(ignored, true);
    proc.exec_failed_ = true;
    proc.exec_error_ = "cannot start " + program + ": " + detail::step_text(failure.step) + ": " +
                       std::strerror(failure.error);
    return proc;
  }
  int flags = ::fcntl(out_r.get(), F_GETFL);
  ::fcntl(out_r.get(), F_SETFL, flags | O_NONBLOCK);
  proc.output_ = std::move(out_r);
  proc.pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, proc.pid_, 0U)));
  return proc;
}

subprocess::~subprocess() {
  kill_and_reap();
}

subprocess::subprocess(subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      output_(std::move(other.output_)),
      pidfd_(std::move(other.pidfd_)),
      status_(std::move(other.status_)),
      limits_(other.limits_),
      isolated_(other.isolated_),
      exec_failed_(other.exec_failed_),
      exec_error_(std::move(other.exec_error_)),
      start_(other.start_) {}

subprocess& subprocess::operator=(subprocess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    output_ = std::move(other.output_);
    pidfd_ = std::move(other.pidfd_);
    status_ = std::move(other.status_);
    limits_ = other.limits_;
    isolated_ = other.isolated_;
    exec_failed_ = other.exec_failed_;
    exec_error_ = std::move(other.exec_error_);
    start_ = other.start_;
  }
  return *this;
}

bool subprocess::has_exited() noexcept {
  siginfo_t info{};
  // WNOWAIT leaves the child a zombie, so its process group stays valid for the final SIGKILL.
  return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid_;
}

void subprocess::reap(exit_report& report, bool block) noexcept {
  if (pid_ < 0)
    return;
  int status = 0;
  rusage usage{};
  pid_t got = -1;
  do {
    got = ::wait4(pid_, &status, block ? 0 : WNOHANG, &usage);
  } while (got < 0 && errno == EINTR);
  if (got != pid_)
    return;
  pid_ = -1;
  pidfd_.reset();
  // With a namespace, the child was our init and the program's own status came through the pipe.
  if (status_.is_open()) {
    int program_status = 0;
    if (::read(status_.get(), &program_status, sizeof program_status) == sizeof program_status) {
      status = program_status;
    }
    status_.reset();
  }
  if (WIFEXITED(status))
    report.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    report.term_signal = WTERMSIG(status);
  auto to_ms = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
  };
  report.cpu_ms = to_ms(usage.ru_utime) + to_ms(usage.ru_stime);
  report.max_rss_kib = usage.ru_maxrss;
}

void subprocess::kill_and_reap() noexcept {
  if (pid_ < 0)
    return;
  if (!has_exited()) {
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
    auto until = clock_type::now() + std::chrono::milliseconds(limits_.grace_ms);
    while (!has_exited() && clock_type::now() < until) {
      if (pidfd_.is_open()) {
        pollfd fd{pidfd_.get(), POLLIN, 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock_type::now()).count();
        ::poll(&fd, 1, static_cast<int>(std::max<int64_t>(left, 1)));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  exit_report ignored;
  reap(ignored, true);
}

exit_report subprocess::wait() {
  exit_report report;
  report.isolated = isolated_;
  if (exec_failed_) {
    report.output = exec_error_;
    return report;
  }
  if (pid_ < 0) {
    report.output = "no process";
    return report;
  }
  report.started = true;
  auto deadline = start_ + std::chrono::milliseconds(limits_.wall_ms);
  auto kill_at = clock_type::time_point::max();
  bool term_sent = false;
  bool kill_sent = false;
  for (;;) {
    auto now = clock_type::now();
    if (!term_sent && now >= deadline) {
      report.timed_out = true;
      ::kill(-pid_, SIGTERM);
      ::kill(pid_, SIGTERM);
      term_sent = true;
      // PID 1 of a namespace ignores SIGTERM without a handler: SIGKILL follows after the grace.
      kill_at = now + std::chrono::milliseconds(limits_.grace_ms);
    }
    if (term_sent && !kill_sent && now >= kill_at) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      kill_sent = true;
    }
    if (has_exited())
      break;
    auto next = kill_sent ? now + std::chrono::milliseconds(50) : (term_sent ? kill_at : deadline);
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1;
    // Without a pidfd the exit is noticed by polling its status every 10 ms.
    wait_ms = std::clamp<int64_t>(wait_ms, 0, pidfd_.is_open() ? 1000 : 10);
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    if (output_.is_open())
      fds[count++] = pollfd{output_.get(), POLLIN, 0};
    if (pidfd_.is_open())
      fds[count++] = pollfd{pidfd_.get(), POLLIN, 0};
    if (::poll(fds.data(), count, static_cast<int>(wait_ms)) < 0 && errno != EINTR) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (output_.is_open() && !drain_output(output_.get(), report, limits_.output_cap))
      output_.reset();
  }
  // The child is a zombie now. Without namespaces, members of its group may live on: kill them.
  ::kill(-pid_, SIGKILL);
  if (output_.is_open()) {
    static_cast<void>(drain_output(output_.get(), report, limits_.output_cap));
    output_.reset();
  }
  reap(report, true);
  report.wall_ms = ms_between(start_, clock_type::now());
  return report;
}

}  // namespace kforge::hardware
