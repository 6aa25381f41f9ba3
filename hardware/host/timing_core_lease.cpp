#include "hardware/host/timing_core_lease.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace kforge::hardware {

namespace {

std::string default_claim_dir() {
  std::error_code ec;
  if (::access("/run/lock", W_OK) == 0)
    return "/run/lock";
  auto tmp = std::filesystem::temp_directory_path(ec);
  return ec ? std::string{"/tmp"} : tmp.string();
}

// An open, exclusively flock'd claim file for `core`; -1 when another lease holds it, -2 when
// claims cannot be made here (errno-style reason in `why`).
int claim(const std::string& dir, int core, std::string& why) {
  auto file = dir + "/kforge-timing-core-" + std::to_string(core);
  // Any user's kforge may claim a core: the file is shared (0666 regardless of umask).
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) {
    why = "cannot open " + file + ": " + std::strerror(errno);
    return -2;
  }
  (void)::fchmod(fd, 0666);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return -1;
    why = "cannot lock " + file + ": " + std::strerror(err);
    return -2;
  }
  return fd;
}

}  // namespace

std::vector<int> allowed_cores() {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) != 0)
    return out;
  for (std::size_t c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set))
      out.push_back(static_cast<int>(c));
  return out;
}

std::vector<int> default_timing_cores() {
  auto cores = allowed_cores();
  if (cores.size() < 2)
    return {};
  return {cores.rbegin(), cores.rend()};  // the last first; the lowest (usually core 0) last
}

timing_core_lease timing_core_lease::acquire(const std::vector<int>& candidates,
                                             const std::string& claim_dir) {
  timing_core_lease lease;
  if (candidates.empty())
    return lease;
  auto dir = claim_dir.empty() ? default_claim_dir() : claim_dir;
  std::string why;
  for (int core : candidates) {
    int fd = claim(dir, core, why);
    if (fd >= 0) {
      lease.core_ = core;
      lease.fd_ = fd;
      return lease;
    }
    if (fd == -2)
      break;  // claims do not work here: do not try the others
  }
  lease.core_ = candidates.front();
  lease.shared_ = true;
  lease.note_ = why.empty() ? "every timing core is claimed by another kforge process" : why;
  return lease;
}

timing_core_lease::timing_core_lease(timing_core_lease&& other) noexcept
    : core_(std::exchange(other.core_, -1)),
      shared_(std::exchange(other.shared_, false)),
      note_(std::move(other.note_)),
      fd_(std::exchange(other.fd_, -1)) {}

timing_core_lease& timing_core_lease::operator=(timing_core_lease&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    core_ = std::exchange(other.core_, -1);
    shared_ = std::exchange(other.shared_, false);
    note_ = std::move(other.note_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

timing_core_lease::~timing_core_lease() {
  if (fd_ >= 0)
    ::close(fd_);  // closing the file ends the claim
}

}  // namespace kforge::hardware
