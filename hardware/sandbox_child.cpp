#include "hardware/sandbox_child.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kforge::hardware::detail {

namespace {

[[noreturn]] void child_fail(int err_w, child_step step) noexcept {
  child_failure failure{step, errno};
  auto written = ::write(err_w, &failure, sizeof failure);
  static_cast<void>(written);
  ::_exit(127);
}

void close_from(unsigned int first, unsigned int last, int max_fd) noexcept {
  if (first > last)
    return;
  if (::syscall(SYS_close_range, first, last, 0U) == 0)
    return;
  auto end = std::min(static_cast<unsigned int>(max_fd), last);
  for (auto fd = first; fd <= end; ++fd)
    ::close(static_cast<int>(fd));
}

// As PID 1 of the new namespace: runs the program as PID 2, reaps every
// orphan, and when the program ends writes its raw wait status to `status_w`.
// The program then has ordinary signal semantics (PID 1 ignores signals it has
// no handler for, even its own abort() or the kernel's SIGXCPU).
[[noreturn]] void run_as_init(const child_plan& p) noexcept {
  auto program = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (program < 0)
    child_fail(p.err_w, child_step::fork);
  if (program == 0) {
    ::execve(p.path, p.argv, p.envp);
    child_fail(p.err_w, child_step::exec);
  }
  ::close(p.err_w);
  for (;;) {
    int status = 0;
    auto pid = ::wait4(-1, &status, 0, nullptr);
    if (pid == program) {
      auto written = ::write(p.status_w, &status, sizeof status);
      static_cast<void>(written);
      ::_exit(0);
    }
    if (pid < 0 && errno != EINTR)
      ::_exit(126);
  }
}

// Runs in the child after clone: async-signal-safe calls only, then execve.
}  // namespace

[[noreturn]] void child_main(const child_plan& p) noexcept {
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0)
    child_fail(p.err_w, child_step::signals);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  // Ignored signals stay ignored across execve; give the program default dispositions.
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &dfl, nullptr);
  ::setpgid(0, 0);
  // If kforge dies, the child dies with it (as PID 1 it takes its namespace along).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::dup2(p.devnull, 0) < 0 || ::dup2(p.out_w, 1) < 0 || ::dup2(p.out_w, 2) < 0) {
    child_fail(p.err_w, child_step::stdio);
  }
  // Close every descriptor but stdio and the two report pipes (both close on exec).
  auto low = static_cast<unsigned int>(std::min(p.err_w, p.status_w));
  auto high = static_cast<unsigned int>(std::max(p.err_w, p.status_w));
  close_from(3, low - 1, p.max_fd);
  close_from(low + 1, high - 1, p.max_fd);
  close_from(high + 1, ~0U, p.max_fd);
  if (::chdir(p.cwd) != 0)
    child_fail(p.err_w, child_step::chdir);
  for (std::size_t i = 0; i < p.limit_count; ++i) {
    rlimit lim{p.limits[i].soft, p.limits[i].hard};
    if (::setrlimit(p.limits[i].resource, &lim) != 0)
      child_fail(p.err_w, child_step::rlimit);
  }
  if (::getpid() == 1)
    run_as_init(p);
  ::execve(p.path, p.argv, p.envp);
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
  }
  return "set up";
}

}  // namespace kforge::hardware::detail
