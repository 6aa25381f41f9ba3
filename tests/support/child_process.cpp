#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace kforge::test {

const std::chrono::seconds child_process::default_limit{KFORGE_TEST_CHILD_LIMIT_S};

child_process::child_process(const std::vector<std::string>& argv, const std::string& stdout_file,
                             std::chrono::seconds limit)
    : deadline_{std::chrono::steady_clock::now() + limit} {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execv wants char*
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);
    if (stdout_file == "-") {
      dup2(fds[1], STDOUT_FILENO);
    } else {
      int out = open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out >= 0)
        dup2(out, STDOUT_FILENO);
    }
    dup2(fds[1], STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here: the child may not have run yet
  group_ = pid_;
  close(fds[1]);
  err_fd_ = fds[0];
}

child_process::~child_process() {
  if (group_ > 0)
    ::kill(-group_, SIGKILL);
  if (pid_ > 0 && !exited_)
    waitpid(pid_, nullptr, 0);
  if (err_fd_ >= 0)
    close(err_fd_);
}

bool child_process::reaped() {
  if (!exited_ && pid_ > 0 && waitpid(pid_, &status_, WNOHANG) == pid_)
    exited_ = true;
  return exited_;
}

bool child_process::fill() {
  while (!timed_out_) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      ::kill(-group_, SIGKILL);
      buffer_ += "[test] the child was killed: no end within its time limit\n";
      return false;
    }
    pollfd p{err_fd_, POLLIN, 0};
    auto ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0) {
      // Quiet for a second: the end if the child has exited (a grandchild may hold the pipe).
      if (reaped())
        return false;
      continue;
    }
    char chunk[4096];
    auto n = read(err_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  return false;
}

std::optional<std::string> child_process::read_line() {
  while (buffer_.find('\n') == std::string::npos && fill()) {
  }
  if (buffer_.empty())
    return std::nullopt;
  auto nl = std::min(buffer_.find('\n'), buffer_.size());  // the last line may have no newline
  auto line = buffer_.substr(0, nl);
  buffer_.erase(0, std::min(nl + 1, buffer_.size()));
  return line;
}

std::string child_process::read_until(const std::string& needle, const std::string& also, int count) {
  std::string log;
  int seen = 0;
  while (auto line = read_line()) {
    log += *line + "\n";
    if (line->find(needle) != std::string::npos && (also.empty() || line->find(also) != std::string::npos) &&
        ++seen == count)
      return log;
  }
  throw std::runtime_error("the child's output ended before '" + needle + "':\n" + log);
}

std::string child_process::read_to_end() {
  std::string log;
  while (auto line = read_line())
    log += *line + "\n";
  return log;
}

int child_process::stop(int sig) {
  kill(sig);
  return wait();
}

void child_process::kill(int sig) {
  if (pid_ > 0 && !exited_)
    ::kill(pid_, sig);
}

int child_process::wait() {
  if (pid_ <= 0)
    return -1;
  int status = status_;
  if (!exited_)
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  pid_ = -1;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

std::optional<uint16_t> port_after(const std::string& text, const std::string& prefix) {
  auto at = text.find(prefix);
  if (at == std::string::npos)
    return std::nullopt;
  uint32_t port = 0;
  size_t digits = 0;
  for (auto i = at + prefix.size(); i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0;
       ++i, ++digits)
    port = port * 10 + static_cast<uint32_t>(text[i] - '0');
  if (digits == 0 || digits > 5 || port > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(port);
}

int run_to_end(const std::vector<std::string>& argv, std::string& output) {
  child_process child{argv, "-"};
  output = child.read_to_end();
  return child.wait();
}

}  // namespace kforge::test
