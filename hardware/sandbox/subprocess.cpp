#include "hardware/sandbox/subprocess.hpp"

#include "hardware/sandbox/sandbox_child.hpp"
#include "hardware/sandbox/sandbox_launch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace kforge::hardware {

namespace {

using detail::child_plan;
using detail::rlimit_setting;
using clock_type = std::chrono::steady_clock;

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
  std::error_code ec;
  if (!std::filesystem::is_directory(opts.cwd, ec))
    return make_error(errc::sandbox_failed,
                      "spawn: working directory " + opts.cwd.string() + " does not exist");
  const auto& lim = opts.limits;
  constexpr auto max_cpu = static_cast<int>(detail::cpu_mask_words * 64);
  if (lim.cpu_affinity >= max_cpu || lim.cpu_affinity < -1) {
    return make_error(errc::sandbox_failed, "spawn: cpu_affinity " + std::to_string(lim.cpu_affinity) +
                                                " is out of range (-1 or 0.." + std::to_string(max_cpu - 1) +
                                                ")");
  }
  auto start = clock_type::now();
  // Everything the child touches is built here, before clone.
  auto argv_strings = opts.argv;
  auto env_strings = opts.env;
  auto argv_ptrs = to_pointers(argv_strings);
  auto env_ptrs = to_pointers(env_strings);
  detail::spawn_setup setup;
  setup.cwd = opts.cwd.string();
  setup.devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!setup.devnull.is_open())
    return make_error(errc::sandbox_failed, std::string{"spawn: /dev/null: "} + std::strerror(errno));
  child_plan& plan = setup.base;
  plan.path = program.c_str();
  plan.argv = argv_ptrs.data();
  plan.envp = env_ptrs.data();
  plan.devnull = setup.devnull.get();
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    plan.max_fd = static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 65536));
  }
  add_limit(plan, RLIMIT_CORE, 0);
  add_limit(plan, RLIMIT_CPU, lim.cpu_seconds);
  add_limit(plan, RLIMIT_AS, lim.address_space_bytes);
  add_limit(plan, RLIMIT_FSIZE, lim.file_size_bytes);
  add_limit(plan, RLIMIT_NOFILE, lim.open_files);
  add_limit(plan, RLIMIT_NPROC, lim.processes);
  plan.nice = std::clamp(lim.nice, 0, 19);
  if (lim.cpu_affinity >= 0) {
    auto cpu = static_cast<std::size_t>(lim.cpu_affinity);
    plan.pin_cpu = true;
    plan.cpu_mask[cpu / 64] |= 1UL << (cpu % 64);
  }

  auto launched = detail::launch_child(opts, setup);
  if (launched.what == detail::launch_result::kind::error)
    return make_error(errc::sandbox_failed, launched.message);
  subprocess proc;
  proc.limits_ = lim;
  proc.start_ = start;
  proc.isolation_ = launched.isolation;
  if (launched.what == detail::launch_result::kind::exec_failed) {
    proc.exec_failed_ = true;
    proc.exec_error_ = std::move(launched.message);
    return proc;
  }
  proc.pid_ = launched.pid;
  // Non-blocking: the status is written before init exits, or never.
  ::fcntl(launched.status.get(), F_SETFL, ::fcntl(launched.status.get(), F_GETFL) | O_NONBLOCK);
  proc.status_ = std::move(launched.status);
  ::fcntl(launched.output.get(), F_SETFL, ::fcntl(launched.output.get(), F_GETFL) | O_NONBLOCK);
  proc.output_ = std::move(launched.output);
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
      isolation_(other.isolation_),
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
    isolation_ = other.isolation_;
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
  report.isolated = isolation_.pid_net;
  report.isolation = isolation_;
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
