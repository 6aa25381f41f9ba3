// The sandbox against hostile programs: each program of
// tests/hardware/hostile/sandbox/ is compiled in the sandbox like a candidate,
// run there, and its expected outcome asserted. Every program carries a
// marker of this test process in its argv, so that the suite can check that
// nothing it started is left running.

#include "hardware/sandbox/sandbox.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "hardware/sandbox/subprocess.hpp"
#include "memory/env.hpp"
#include "tests/support/isolation.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace kforge;
using namespace kforge::hardware;
using kforge::test::processes_with;

namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() {
  return fs::path{KFORGE_SOURCE_DIR} / "tests" / "hardware" / "hostile" / "sandbox";
}

// The prefix of every marker of this test process.
std::string suite_marker() {
  return "kforge-hostile-" + std::to_string(::getpid()) + "-";
}

process_limits run_limits() {
  process_limits limits;
  limits.wall_ms = 5000;
  limits.grace_ms = 100;
  limits.cpu_seconds = 10;
  limits.address_space_bytes = int64_t{1} << 30;
  limits.file_size_bytes = int64_t{16} << 20;
  limits.open_files = 64;
  limits.processes = 32;
  return limits;
}

process_limits compile_limits() {
  process_limits limits;
  limits.wall_ms = 60'000;
  limits.cpu_seconds = 60;
  limits.address_space_bytes = int64_t{4} << 30;
  limits.file_size_bytes = int64_t{64} << 20;
  limits.open_files = 256;
  limits.processes = 64;
  return limits;
}

// One program of the corpus, compiled by g++ in the sandbox into a directory
// of its own (as kforge compiles candidates), ready to run.
class hostile_program {
 public:
  explicit hostile_program(const std::string& name) : dir_{"hostile-" + name}, name_(name) {
    auto build = scratch_dir::create(dir_.path(), "build-");
    REQUIRE(build);
    build_ = std::move(*build);
    sandbox_request req;
    req.argv = {
        "g++", "-std=c++17", "-O1", "-pthread", "-o", "program", (corpus_dir() / (name + ".cpp")).string()};
    req.cwd = build_.path();
    req.limits = compile_limits();
    auto report = run_sandboxed(req);
    REQUIRE(report);
    INFO(name << ": " << report->output);
    REQUIRE(report->is_success());
  }

  /// The marker in this program's argv.
  [[nodiscard]] std::string marker() const { return suite_marker() + name_; }

  /// The directory private to this program's test (the runs' scratch parent).
  [[nodiscard]] const fs::path& dir() const { return dir_.path(); }

  /// Runs the program with `args` after the marker; checks that nothing of it is left.
  exit_report run(const std::vector<std::string>& args, const process_limits& limits,
                  sandbox_request req = {}) const {
    req.argv = {(build_.path() / "program").string(), marker()};
    req.argv.insert(req.argv.end(), args.begin(), args.end());
    req.scratch_parent = dir_.path();
    req.limits = limits;
    auto report = run_sandboxed(req);
    REQUIRE(report);
    auto left = processes_with(marker());
    for (auto pid : left)
      ::kill(pid, SIGKILL);
    CHECK(left.empty());
    return *report;
  }

 private:
  test::temp_dir dir_;
  scratch_dir build_;
  std::string name_;
};

// Whether the strict guarantees apply; if not, says why once per test.
bool fully_isolated(const exit_report& report) {
  if (report.isolation.pid_net && report.isolation.mounts && report.isolation.unprivileged)
    return true;
  test::isolation_missing("the sandbox runs with less isolation here (" +
                          describe_isolation(report.isolation) + ")");
  return false;
}

// `path` without its leading '/': absolute paths in argv are shown to the program on purpose.
std::string from_root(const fs::path& path) {
  return path.relative_path().string();
}

bool has_line(const std::string& output, const std::string& line) {
  return ("\n" + output).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("A fork bomb is capped by the process limit, stopped, and leaves nothing", "[hardware][hostile]") {
  hostile_program program{"fork_bomb"};
  auto limits = run_limits();
  limits.wall_ms = 1000;
  auto report = program.run({}, limits);
  INFO(report.output);
  CHECK(report.timed_out);
  if (!fully_isolated(report))
    return;
  // The first process counts its own children; with theirs they stay under the cap.
  auto at = report.output.find("fork refused after ");
  REQUIRE(at != std::string::npos);
  auto made = std::stoi(report.output.substr(at + 19));
  CHECK(made >= 1);
  CHECK(made < limits.processes);
}

TEST_CASE("A fork bomb at its process limit does not starve a compile running beside it",
          "[hardware][hostile]") {
  hostile_program bomb{"fork_bomb"};
  auto limits = run_limits();
  limits.processes = compile_limits().processes;  // as many as the compile may have
  limits.wall_ms = 20'000;
  exit_report bomb_report;
  std::thread running{[&] { bomb_report = bomb.run({}, limits); }};
  // Wait (bounded) until the bomb holds its whole process allowance.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (processes_with(bomb.marker()).size() + 4 < static_cast<std::size_t>(limits.processes) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto held = processes_with(bomb.marker()).size();
  // g++ forks cc1plus, as, collect2 and ld: with one uid for every sandbox this fails with EAGAIN.
  sandbox_request req;
  req.argv = {"g++", "-std=c++17", "-O1", "-o", "program", (corpus_dir() / "abort.cpp").string()};
  req.limits = compile_limits();
  auto compiled = run_sandboxed(req);
  // End the bomb now rather than at its wall-clock limit: it is in its own PID namespace, so
  // killing the processes of its marker (its init is not among them) ends the run.
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto left = processes_with(bomb.marker());
       !left.empty() && std::chrono::steady_clock::now() < deadline; left = processes_with(bomb.marker()))
    for (auto pid : left)
      ::kill(pid, SIGKILL);
  running.join();
  REQUIRE(compiled);
  INFO("the bomb held " << held << " processes; compile output: " << compiled->output);
  if (!fully_isolated(*compiled))
    return;
  CHECK(held + 4 >= static_cast<std::size_t>(limits.processes));
  CHECK(compiled->is_success());
}

TEST_CASE("An endless loop is killed at the wall-clock limit", "[hardware][hostile]") {
  hostile_program program{"infinite_loop"};
  auto limits = run_limits();
  limits.wall_ms = 300;
  auto report = program.run({}, limits);
  INFO(describe_exit(report, limits) << "; output: " << report.output);
  CHECK(report.started);
  CHECK(report.timed_out);
  CHECK(report.wall_ms < 3000);
}

TEST_CASE("A huge allocation is refused by the address-space limit", "[hardware][hostile]") {
  hostile_program program{"huge_allocation"};
  auto limits = run_limits();
  limits.address_space_bytes = int64_t{768} << 20;
  auto report = program.run({}, limits);
  CHECK_FALSE(report.timed_out);
  CHECK(report.term_signal == SIGABRT);
  auto at = report.output.find("refused after ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoll(report.output.substr(at + 14)) <= 768);
  CHECK(report.output.find("got 1 TiB") == std::string::npos);
}

TEST_CASE("A stack overflow, a wild write and abort end as signals", "[hardware][hostile]") {
  hostile_program overflow{"stack_overflow"};
  hostile_program segfault{"segfault"};
  hostile_program aborting{"abort"};
  CHECK(overflow.run({}, run_limits()).term_signal == SIGSEGV);
  CHECK(segfault.run({}, run_limits()).term_signal == SIGSEGV);
  auto report = aborting.run({}, run_limits());
  CHECK(report.term_signal == SIGABRT);
  CHECK(describe_exit(report, run_limits()) == "killed by signal SIGABRT (Aborted)");
}

TEST_CASE("Files written outside the scratch directory never reach the host", "[hardware][hostile]") {
  hostile_program program{"write_files"};
  auto name = "kforge_pwned_" + program.marker();
  // A file kforge lends read-only, owned by the sandbox user so that only the
  // read-only bind protects it.
  auto victim = program.dir() / "victim.txt";
  std::ofstream{victim} << "original\n";
  fs::permissions(victim, fs::perms::all);
  if (auto user = sandbox_identity())
    REQUIRE(::chown(victim.c_str(), user->uid, user->gid) == 0);
  std::vector<std::string> owned_by_root = {"/etc/" + name, "/root/" + name};
  std::vector<std::string> private_places = {"/tmp/" + name, "/var/tmp/" + name, "/dev/shm/" + name,
                                             (program.dir() / name).string()};
  std::vector<std::string> targets = owned_by_root;
  targets.insert(targets.end(), private_places.begin(), private_places.end());
  targets.push_back(victim.string());
  sandbox_request req;
  req.read_only_paths = {victim};
  auto report = program.run(targets, run_limits(), req);
  INFO(report.output);
  CHECK(report.is_success());
  // Not root, the test may not look into /root: then nothing is there either.
  auto exists = [](const std::string& path) {
    std::error_code ec;
    return fs::exists(path, ec);
  };
  std::ifstream in{victim};
  // Not istreambuf_iterator: g++ 12 -O2 reports a false -Wnull-dereference in it.
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string content = buffer.str();
  bool as_root = !report.isolation.unprivileged && ::geteuid() == 0;
  bool mounts = report.isolation.mounts;
  for (const auto& path : owned_by_root) {
    if (!as_root)
      CHECK_FALSE(exists(path));
  }
  for (const auto& path : private_places) {
    if (mounts)
      CHECK_FALSE(exists(path));
  }
  if (mounts)
    CHECK(content == "original\n");
  for (std::size_t i = 0; i + 1 < targets.size(); ++i)
    ::unlink(targets[i].c_str());
  if (!fully_isolated(report))
    return;
  CHECK(has_line(report.output, "/etc/" + name + ": Permission denied"));
  CHECK(has_line(report.output, "/root/" + name + ": Permission denied"));
  CHECK(has_line(report.output, "/tmp/" + name + ": written"));  // in its private /tmp, gone now
  CHECK(has_line(report.output, victim.string() + ": Read-only file system"));
}

TEST_CASE("A candidate cannot read the store", "[hardware][hostile]") {
  hostile_program program{"read_files"};
  auto store = program.dir() / "store";
  {
    memory::env_options opts;
    opts.map_size_bytes = std::size_t{1} << 20;
    opts.no_sync = true;
    auto env = memory::env::open(store, opts);
    REQUIRE(env);
  }
  auto data = store / "data.mdb";
  struct stat st {};
  REQUIRE(::stat(store.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat(data.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_uid == ::geteuid());

  // Where it lies (under /tmp here) the sandbox does not show it at all.
  auto hidden = program.run({from_root(data)}, run_limits());
  // Shown on purpose, the file and the directory still refuse the sandbox user.
  sandbox_request show_file;
  show_file.read_only_paths = {data};
  auto file = program.run({from_root(data)}, run_limits(), show_file);
  sandbox_request show_dir;
  show_dir.read_only_paths = {store};
  auto dir = program.run({from_root(data)}, run_limits(), show_dir);
  if (hidden.isolation.unprivileged) {
    CHECK(hidden.exit_code == 0);
    CHECK(file.exit_code == 0);
    CHECK(dir.exit_code == 0);
  }
  if (!fully_isolated(hidden))
    return;
  CHECK(has_line(hidden.output, data.string() + ": No such file or directory"));
  CHECK(has_line(file.output, data.string() + ": Permission denied"));
  CHECK(has_line(dir.output, data.string() + ": Permission denied"));

  // hidden_paths covers a directory that the sandbox user could read otherwise.
  auto source = corpus_dir() / "read_files.cpp";
  // Bound on purpose first, so that the baseline holds wherever the tree lies (even under /tmp).
  sandbox_request visible;
  visible.read_only_paths = {corpus_dir()};
  CHECK(program.run({from_root(source)}, run_limits(), visible).exit_code == 1);
  sandbox_request hide;
  hide.hidden_paths = {corpus_dir()};
  auto covered = program.run({from_root(source)}, run_limits(), hide);
  CHECK(covered.exit_code == 0);
  CHECK(has_line(covered.output, source.string() + ": No such file or directory"));
}

TEST_CASE("A candidate has no network", "[hardware][hostile]") {
  hostile_program program{"network"};
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  auto report = program.run({std::to_string(ntohs(addr.sin_port))}, run_limits());
  int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  int accept_errno = errno;
  if (accepted >= 0)
    ::close(accepted);
  ::close(listener);
  INFO(report.output);
  if (!report.isolation.pid_net) {
    test::isolation_missing("no network namespace here: the network is reachable");
    return;
  }
  CHECK(report.exit_code == 0);
  CHECK(report.output.find("connected") == std::string::npos);
  CHECK(accepted < 0);
  CHECK(accept_errno == EAGAIN);
}

TEST_CASE("A double-forked setsid child dies with the run", "[hardware][hostile]") {
  hostile_program program{"double_fork"};
  auto report = program.run({}, run_limits());  // run() checks that nothing is left
  CHECK(report.is_success());
  CHECK(report.output == "detached\n");
}

TEST_CASE("Threads that outlive main are killed with their process", "[hardware][hostile]") {
  hostile_program program{"outliving_threads"};
  auto limits = run_limits();
  limits.wall_ms = 500;
  auto report = program.run({}, limits);
  CHECK(report.timed_out);
  CHECK(report.output == "main leaves\n");
}

TEST_CASE("No secret of kforge's environment reaches a candidate", "[hardware][hostile]") {
  hostile_program program{"env_secret"};
  auto secret = "sekrit-" + program.marker();
  ::setenv("KFORGE_HOSTILE_SECRET", secret.c_str(), 1);
  auto report = program.run({}, run_limits());
  ::unsetenv("KFORGE_HOSTILE_SECRET");
  INFO(report.output);
  CHECK(report.is_success());
  CHECK(report.output.find(secret) == std::string::npos);
  CHECK(report.output.find("KFORGE_HOSTILE_SECRET") == std::string::npos);
  CHECK(has_line(report.output, "env PATH=/usr/bin:/bin"));
  if (!fully_isolated(report))
    return;
  // PID 1 is kforge's init (a copy of kforge): its original environment stays closed.
  CHECK(has_line(report.output, "/proc/1/environ: Permission denied"));
}

TEST_CASE("A huge file is stopped by the file size limit", "[hardware][hostile]") {
  hostile_program program{"huge_file"};
  auto limits = run_limits();
  limits.file_size_bytes = int64_t{4} << 20;
  auto report = program.run({}, limits);
  CHECK(report.term_signal == SIGXFSZ);
  CHECK(describe_exit(report, limits) == "exceeded the file size limit");
}

TEST_CASE("A candidate cannot signal anything outside its sandbox", "[hardware][hostile]") {
  hostile_program probe{"identity"};
  // Without a PID namespace and the sandbox user, kill(-1) could reach the host: do not try.
  if (!fully_isolated(probe.run({}, run_limits())))
    return;
  hostile_program program{"kill_everything"};
  auto report = program.run({}, run_limits());
  INFO(report.output);
  CHECK(report.is_success());
  CHECK(has_line(report.output, "still here"));
  CHECK(has_line(report.output, "kill(1): Operation not permitted"));
}

TEST_CASE("A candidate cannot undo its private /tmp", "[hardware][hostile]") {
  hostile_program program{"escape_mounts"};
  auto host_file = program.dir() / "host_file";
  std::ofstream{host_file} << "host\n";
  auto report = program.run({from_root(host_file)}, run_limits());
  INFO(report.output);
  CHECK(report.is_success());
  if (!fully_isolated(report))
    return;
  CHECK(has_line(report.output, "umount /tmp: Operation not permitted"));
  CHECK(report.output.find("umount /tmp in own namespace: done") == std::string::npos);
  CHECK(has_line(report.output, "host file: invisible"));
}

TEST_CASE("A candidate runs unprivileged with no_new_privs and sees only its own processes",
          "[hardware][hostile]") {
  hostile_program program{"identity"};
  auto report = program.run({}, run_limits());
  INFO(report.output);
  REQUIRE(report.is_success());
  if (!fully_isolated(report))
    return;
  auto user = sandbox_identity();
  REQUIRE(user);
  // A uid of its own from the pool (or nobody's where there is none), never kforge's.
  auto at = report.output.find("uid=");
  REQUIRE(at != std::string::npos);
  auto uid = std::stoul(report.output.substr(at + 4));
  CHECK(uid != ::geteuid());
  CHECK((uid == user->uid || uid >= 0x70000000UL));
  CHECK(has_line(report.output, "uid=" + std::to_string(uid) + " gid=" + std::to_string(user->gid)));
  CHECK(has_line(report.output, "groups=0"));
  CHECK(has_line(report.output, "no_new_privs=1"));
  CHECK(has_line(report.output, "pids=2"));  // kforge's init and itself
  CHECK(has_line(report.output, "setuid0=Operation not permitted"));
}

TEST_CASE("The run stage can be pinned to one CPU", "[hardware][hostile]") {
  hostile_program program{"identity"};
  auto limits = run_limits();
  limits.cpu_affinity = 0;
  auto pinned = program.run({}, limits);
  INFO(pinned.output);
  CHECK(pinned.is_success());
  CHECK(has_line(pinned.output, "cpus=1 first=0"));
  // A CPU the machine does not have: the child cannot start, and says why.
  limits.cpu_affinity = 1023;
  auto missing = program.run({}, limits);
  CHECK_FALSE(missing.started);
  CHECK(missing.output.find("set the CPU affinity") != std::string::npos);
  // Out of range: refused before anything starts.
  sandbox_request req;
  req.argv = {"/bin/true"};
  req.limits = limits;
  req.limits.cpu_affinity = 4096;
  auto refused = run_sandboxed(req);
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == errc::sandbox_failed);
}

TEST_CASE("After the hostile suite nothing of it runs and the sandbox still works", "[hardware][hostile]") {
  auto left = processes_with(suite_marker());
  for (auto pid : left)
    ::kill(pid, SIGKILL);
  CHECK(left.empty());
  sandbox_request req;
  req.argv = {"/bin/echo", "still", "serving"};
  req.limits = run_limits();
  auto report = run_sandboxed(req);
  REQUIRE(report);
  CHECK(report->is_success());
  CHECK(report->output == "still serving\n");
}
