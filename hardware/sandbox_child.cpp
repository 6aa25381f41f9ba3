#include "hardware/sandbox_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

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

KFORGE_CHILD_CODE [[noreturn]] void child_fail(int err_w, child_step step) noexcept {
  child_failure failure{step, errno};
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

// As PID 1 of the new namespace: runs the program as PID 2, reaps every
// orphan, and when the program ends writes its raw wait status to `status_w`.
// The program then has ordinary signal semantics (PID 1 ignores signals it has
// no handler for, even its own abort() or the kernel's SIGXCPU).
KFORGE_CHILD_CODE [[noreturn]] void run_as_init(const child_plan& p) noexcept {
  auto program = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (program < 0)
    child_fail(p.err_w, child_step::fork);
  if (program == 0) {
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
  if (::syscall(SYS_chdir, p.cwd) != 0)
    child_fail(p.err_w, child_step::chdir);
  for (std::size_t i = 0; i < p.limit_count; ++i) {
    rlimit64 lim{p.limits[i].soft, p.limits[i].hard};
    if (::syscall(SYS_prlimit64, 0, p.limits[i].resource, &lim, nullptr) != 0)
      child_fail(p.err_w, child_step::rlimit);
  }
  if (::syscall(SYS_getpid) == 1)
    run_as_init(p);
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
  }
  return "set up";
}

}  // namespace kforge::hardware::detail
