#include "runtime/campaign/owner_lock.hpp"

#include "runtime/base/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace kforge::runtime {

namespace {

// The whole file, exclusively.
struct flock whole_file(short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  return fl;
}

int64_t pid_in(int fd) {
  char buf[32] = {};
  auto n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return 0;
  return std::strtoll(buf, nullptr, 10);
}

}  // namespace

std::filesystem::path owner_lock::file_of(const std::filesystem::path& store, const std::string& campaign) {
  return store / "owners" / (campaign + ".lock");
}

caf::expected<owner_lock> owner_lock::acquire(const std::filesystem::path& store,
                                              const std::string& campaign) {
  auto file = file_of(store, campaign);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    return make_error(errc::io_failed, "cannot create " + file.parent_path().string() + ": " + ec.message());
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(errc::io_failed, "cannot open " + file.string() + ": " + std::strerror(errno));
  owner_lock lock{fd};
  auto fl = whole_file(F_WRLCK);
  if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    int e = errno;
    if (e == EAGAIN || e == EACCES) {
      auto pid = pid_in(fd);
      return make_error(errc::io_failed, "campaign " + campaign + " is already running in process " +
                                             (pid > 0 ? std::to_string(pid) : std::string{"?"}) +
                                             " (owner lock " + file.string() +
                                             "); stop it first, or wait for it to end");
    }
    if (e == EINVAL || e == ENOLCK || e == EOPNOTSUPP) {
      // A filesystem without open-file-description locks (some network filesystems): the
      // campaign runs unowned rather than not at all, and `status` cannot tell it is alive.
      log::logger{"kforge.campaign"}.warning(
          "no owner lock on this filesystem; status will read the campaign as interrupted",
          {{"campaign", campaign}, {"file", file.string()}, {"error", std::strerror(e)}});
      return owner_lock{-1};
    }
    return make_error(errc::io_failed, "cannot lock " + file.string() + ": " + std::strerror(e));
  }
  auto text = std::to_string(static_cast<int64_t>(::getpid())) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return make_error(errc::io_failed, "cannot write " + file.string() + ": " + std::strerror(errno));
  return lock;
}

owner_state owner_lock::probe(const std::filesystem::path& store, const std::string& campaign) {
  owner_state out;
  auto file = file_of(store, campaign);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return out;
  // F_OFD_GETLK asks whether a write lock could be placed; a read-only descriptor may ask.
  auto fl = whole_file(F_WRLCK);
  if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
    out.held = true;
    out.pid = pid_in(fd);
  }
  ::close(fd);
  return out;
}

owner_lock::owner_lock(owner_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

owner_lock& owner_lock::operator=(owner_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

owner_lock::~owner_lock() {
  if (fd_ >= 0)
    ::close(fd_);  // closing the last descriptor of the description drops the lock
}

}  // namespace kforge::runtime
