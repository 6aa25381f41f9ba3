#pragma once

// Replay answers: the mock answers a task with files a real model wrote for it, in order
// (`--replay DIR`, DIR/<task id>/*.py or *.cpp, sorted by name). The first request for a task
// gets its first file, the next one the second, and so on, wrapping around; a request for n
// completions takes n files in a row. Tasks without files keep the mock's other answers.

#include <caf/expected.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kforge::mock {

/// One replayed answer: the file's name (for the model's one-line statement) and its source.
struct replay_file {
  std::string name;
  std::string source;
};

/// The files of every task that has some, and where each task's next answer starts (thread-safe).
class replay_set {
 public:
  replay_set() = default;
  explicit replay_set(std::map<std::string, std::vector<replay_file>> tasks);

  /// The next file for `task_id`, or null when the task has none.
  [[nodiscard]] const replay_file* next(const std::string& task_id);

  /// Number of tasks with at least one file.
  [[nodiscard]] std::size_t tasks() const noexcept { return files_.size(); }

 private:
  std::map<std::string, std::vector<replay_file>> files_;
  std::map<std::string, std::size_t> cursor_;
  std::mutex mutex_;
};

/// Reads every DIR/<task id>/*.py and *.cpp (files over 1 MiB and empty files are refused).
/// Errors: errc::bad_config naming the directory or file.
[[nodiscard]] caf::expected<std::map<std::string, std::vector<replay_file>>> load_replay(
    const std::filesystem::path& dir);

/// The reply text for `f`: a short preamble, the optimization line, and the source in a fenced
/// block of its language (python for .py, cpp otherwise).
[[nodiscard]] std::string replay_reply(const replay_file& f);

}  // namespace kforge::mock
