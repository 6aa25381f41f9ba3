#include "hardware/sandbox/subprocess.hpp"

#include "hardware/sandbox/sandbox.hpp"
#include "tests/support/isolation.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace kforge;
using namespace kforge::hardware;
using kforge::test::processes_with;

namespace {

process_limits quick_limits() {
  process_limits limits;
  limits.wall_ms = 5000;
  limits.grace_ms = 100;
  limits.cpu_seconds = 10;
  limits.address_space_bytes = int64_t{1} << 30;
  limits.file_size_bytes = int64_t{1} << 24;
  return limits;
}

exit_report run_shell(const std::string& script, process_limits limits = quick_limits()) {
  sandbox_request req;
  req.argv = {"/bin/sh", "-c", script};
  req.limits = limits;
  auto report = run_sandboxed(req);
  REQUIRE(report);
  return *report;
}

// A marker unique to this test process, usable as a sleep duration: "1000.<pid>".
std::string sleep_marker() {
  return "1000." + std::to_string(::getpid()) + "77";
}

void kill_all(const std::vector<pid_t>& pids) {
  for (auto pid : pids)
    ::kill(pid, SIGKILL);
}

}  // namespace

TEST_CASE("A sandboxed program reports its exit code and interleaved output", "[hardware]") {
  auto report = run_shell("echo to-stdout; echo to-stderr >&2; exit 3");
  CHECK(report.started);
  CHECK(report.exit_code == 3);
  CHECK(report.term_signal == 0);
  CHECK_FALSE(report.timed_out);
  CHECK(report.output == "to-stdout\nto-stderr\n");
  CHECK_FALSE(report.output_truncated);
  CHECK(report.wall_ms > 0);
  CHECK_FALSE(report.is_success());
  CHECK(describe_exit(report, quick_limits()) == "exit code 3");
}

TEST_CASE("A sandboxed program runs in its own PID and network namespaces", "[hardware]") {
  auto report =
      run_shell("echo pid=$$; cat /proc/net/dev | grep -c : ; cat /proc/self/status | grep -c NSpid");
  REQUIRE(report.is_success());
  if (!report.isolated) {
    kforge::test::isolation_missing("namespaces unavailable here: the sandbox runs degraded");
    return;
  }
  // The shell is the program started by the namespace's init, so it is PID 2;
  // the only network device is the namespace's own loopback.
  CHECK(report.output.rfind("pid=2\n1\n", 0) == 0);
}

TEST_CASE("A program killed by a signal reports the signal by name", "[hardware]") {
  SECTION("a signal from a program to itself") {
    auto report = run_shell("kill -SEGV $$");
    CHECK(report.term_signal == SIGSEGV);
    CHECK(report.exit_code == -1);
    CHECK(describe_exit(report, quick_limits()) == "killed by signal SIGSEGV (Segmentation fault)");
  }
  SECTION("abort") {
    auto report = run_shell("kill -ABRT $$");
    CHECK(report.term_signal == SIGABRT);
  }
}

TEST_CASE("A program past its wall-clock limit is killed and reported as timed out", "[hardware]") {
  auto limits = quick_limits();
  limits.wall_ms = 300;
  SECTION("sleeping") {
    auto report = run_shell("sleep 30", limits);
    CHECK(report.timed_out);
    CHECK(report.wall_ms < 3000);
    CHECK(describe_exit(report, limits) == "timed out after 0.3 s");
  }
  SECTION("busy and ignoring SIGTERM") {
    auto report = run_shell("trap '' TERM; while :; do :; done", limits);
    CHECK(report.timed_out);
    CHECK(report.term_signal == SIGKILL);
    CHECK(report.wall_ms < 3000);
  }
}

TEST_CASE("Output beyond the cap is read, dropped and flagged", "[hardware]") {
  auto limits = quick_limits();
  limits.output_cap = 1000;
  auto report =
      run_shell("i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done; echo done", limits);
  CHECK(report.is_success());
  CHECK(report.output.size() == 1000);
  CHECK(report.output_truncated);
}

TEST_CASE("A program that cannot be started is reported, not run", "[hardware]") {
  sandbox_request req;
  req.argv = {"/nonexistent/program"};
  req.limits = quick_limits();
  auto report = run_sandboxed(req);
  REQUIRE(report);
  CHECK_FALSE(report->started);
  CHECK(report->output.find("No such file") != std::string::npos);
  req.argv = {"no-such-program-kforge"};
  CHECK(code_of(run_sandboxed(req).error()) == errc::sandbox_failed);
}

TEST_CASE("The sandbox passes on none of kforge's environment", "[hardware]") {
  ::setenv("KFORGE_TEST_SECRET", "hunter2", 1);
  auto report = run_shell("env");
  ::unsetenv("KFORGE_TEST_SECRET");
  REQUIRE(report.is_success());
  CHECK(report.output.find("KFORGE_TEST_SECRET") == std::string::npos);
  CHECK(report.output.find("hunter2") == std::string::npos);
  CHECK(report.output.find("PATH=/usr/bin:/bin\n") != std::string::npos);
  CHECK(report.output.find("LANG=C\n") != std::string::npos);
}

TEST_CASE("The sandbox closes inherited descriptors and gives stdin from /dev/null", "[hardware]") {
  auto report = run_shell("ls /proc/self/fd | wc -l; cat");
  REQUIRE(report.is_success());
  // 0, 1, 2 and the descriptor ls opens to read the directory.
  CHECK(report.output == "4\n");
}

TEST_CASE("A private scratch directory is the working directory and is removed afterwards", "[hardware]") {
  test::temp_dir parent{"sandbox"};
  sandbox_request req;
  req.argv = {"/bin/sh", "-c", "pwd; echo x > file; echo $HOME; echo $TMPDIR"};
  req.scratch_parent = parent.path();
  req.limits = quick_limits();
  auto report = run_sandboxed(req);
  REQUIRE(report);
  REQUIRE(report->is_success());
  auto lines = report->output;
  auto dir = lines.substr(0, lines.find('\n'));
  CHECK(dir.rfind(parent.path().string(), 0) == 0);
  CHECK(lines == dir + "\n" + dir + "\n" + dir + "\n");
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("Processes that leave the group die with the sandboxed program", "[hardware]") {
  auto marker = sleep_marker();
  SECTION("a double-forked setsid sleep") {
    auto report = run_shell("(setsid sleep " + marker + " &) ; echo started");
    CHECK(report.is_success());
    auto left = processes_with(marker);
    kill_all(left);
    if (!report.isolated) {
      kforge::test::isolation_missing(
          "namespaces unavailable: escaped processes survive (killed by the test)");
      return;
    }
    CHECK(left.empty());
  }
  SECTION("a fork bomb stopped by the wall-clock limit") {
    auto limits = quick_limits();
    limits.wall_ms = 500;
    limits.processes = 32;
    auto report = run_shell(
        "i=0; while [ $i -lt 100 ]; do setsid sleep " + marker + " & i=$((i+1)); done; wait", limits);
    auto left = processes_with(marker);
    kill_all(left);
    // Where the program does not run as root, RLIMIT_NPROC makes fork fail and
    // the shell gives up; root is not limited by it, the wall clock stops it.
    CHECK((report.timed_out || report.output.find("fork") != std::string::npos));
    if (report.isolated)
      CHECK(left.empty());
  }
}

TEST_CASE("A moved-from or destroyed subprocess leaves no process behind", "[hardware]") {
  auto marker = sleep_marker();
  test::temp_dir dir{"subprocess"};
  spawn_options opts;
  opts.argv = {"/bin/sleep", marker};
  opts.env = scrubbed_environment(dir.path());
  opts.cwd = dir.path();
  {
    auto proc = subprocess::spawn(opts);
    REQUIRE(proc);
    auto moved = std::move(*proc);
    CHECK(proc->pid() == -1);
    CHECK(moved.pid() > 0);
    CHECK_FALSE(processes_with(marker).empty());
  }
  auto left = processes_with(marker);
  kill_all(left);
  CHECK(left.empty());
}

TEST_CASE("A program past its CPU limit is stopped with SIGXCPU", "[hardware]") {
  auto limits = quick_limits();
  limits.cpu_seconds = 1;
  limits.wall_ms = 30'000;  // one CPU second can take several wall seconds on a busy machine
  auto report = run_shell("while :; do :; done", limits);
  CHECK_FALSE(report.timed_out);
  CHECK(report.term_signal == SIGXCPU);
  // Tick-based accounting on a loaded VM reports somewhat less than the limit that fired (883 ms seen).
  CHECK(report.cpu_ms >= 500);
  CHECK(describe_exit(report, limits) == "exceeded the CPU limit of 1 s");
}

TEST_CASE("Without namespaces a program still runs in its own group with its limits", "[hardware]") {
  test::temp_dir dir{"subprocess"};
  spawn_options opts;
  opts.argv = {"/bin/sh", "-c", "echo $$ $(ps -o pgid= -p $$ 2>/dev/null); ulimit -n; exit 4"};
  opts.env = scrubbed_environment(dir.path());
  opts.cwd = dir.path();
  opts.limits = quick_limits();
  opts.limits.open_files = 33;
  opts.isolate = false;
  auto proc = subprocess::spawn(opts);
  REQUIRE(proc);
  CHECK_FALSE(proc->is_isolated());
  auto pid = proc->pid();
  auto report = proc->wait();
  CHECK_FALSE(report.isolated);
  CHECK(report.exit_code == 4);
  CHECK_THAT(report.output, Catch::StartsWith(std::to_string(pid) + " "));
  CHECK_THAT(report.output, Catch::EndsWith("\n33\n"));
}

TEST_CASE("Sandboxes started from several threads at once do not disturb each other", "[hardware]") {
  constexpr int threads = 4;
  constexpr int runs = 8;
  std::vector<int> good(threads, 0);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([t, &good] {
      for (int r = 0; r < runs; ++r) {
        sandbox_request req;
        req.argv = {"/bin/sh", "-c", "echo " + std::to_string(t * 100 + r)};
        req.limits = quick_limits();
        auto report = run_sandboxed(req);
        if (report && report->is_success() && report->output == std::to_string(t * 100 + r) + "\n")
          ++good[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& w : workers)
    w.join();
  CHECK(good == std::vector<int>(threads, runs));
}
