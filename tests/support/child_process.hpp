#pragma once

// Runs the kforge binary as a child process for end-to-end tests, with its
// stderr readable line by line (to synchronise on log lines, never on time).
// A child that goes quiet past its deadline is killed and its output ends, so
// a hang fails the test with what it printed instead of running into ctest's
// timeout with nothing; the output also ends once the child has exited and
// the pipe stays quiet, even if a grandchild still holds it open.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kforge::test {

/// A child process with stdout discarded to a file and stderr on a pipe.
class child_process {
 public:
  /// Starts `argv` (argv[0] is a path) in its own process group; stdout goes to `stdout_file`,
  /// or with stderr to the pipe if "-". After `limit` the group is killed (see timed_out()).
  explicit child_process(const std::vector<std::string>& argv, const std::string& stdout_file = "/dev/null",
                         std::chrono::seconds limit = default_limit);

  /// A minute below ctest's limit per test (tests/CMakeLists.txt), so that the test itself
  /// reports the hang.
  static const std::chrono::seconds default_limit;
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Next stderr line, or nullopt at end of file (or once the child exited and the pipe is
  /// quiet, or past the deadline).
  [[nodiscard]] std::optional<std::string> read_line();

  /// True if the deadline passed and the child's process group was killed.
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }

  /// Reads lines until one contains `needle` (and `also`, if not empty) for the `count`th time;
  /// returns every line read, each ending in a newline. Throws std::runtime_error holding
  /// those lines when the output ends first (a test then fails, showing them).
  std::string read_until(const std::string& needle, const std::string& also = "", int count = 1);

  /// Reads every line up to the end of the output; returns them, each ending in a newline.
  std::string read_to_end();

  /// Sends `sig` to the child (alone: the destructor and the deadline kill its whole group).
  void kill(int sig);

  /// Sends `sig`, then waits for the child; returns like wait().
  int stop(int sig);

  /// Waits for the child; returns its exit code, or 128 + signal.
  int wait();

 private:
  bool reaped();  // waits without blocking; true once the child has exited (status_ set)
  bool fill();    // reads more output into buffer_; false at its end (see read_line)

  pid_t pid_ = -1;
  pid_t group_ = -1;  // the child's process group, killed on destruction (grandchildren too)
  int status_ = 0;
  bool exited_ = false;
  bool timed_out_ = false;
  int err_fd_ = -1;
  std::chrono::steady_clock::time_point deadline_;
  std::string buffer_;
};

/// The TCP port written right after `prefix` in `text` (e.g. the daemon's "API on
/// http://127.0.0.1:"), or nullopt if `prefix` is absent or no port follows.
[[nodiscard]] std::optional<uint16_t> port_after(const std::string& text, const std::string& prefix);

/// Runs `argv` to completion; returns the exit code and everything it printed on stdout and stderr
/// (a child past the default limit is killed: the output then says so, and the code is 137).
[[nodiscard]] int run_to_end(const std::vector<std::string>& argv, std::string& output);

}  // namespace kforge::test
