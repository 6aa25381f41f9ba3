#pragma once

#include <unistd.h>

#include <utility>

namespace kforge::hardware {

/// Owns one POSIX file descriptor and closes it on destruction. Move-only.
/// A default-constructed or released object holds -1 and closes nothing.
class unique_fd {
 public:
  /// Makes an empty object (holds -1).
  unique_fd() noexcept = default;

  /// Takes ownership of `fd` (may be -1).
  explicit unique_fd(int fd) noexcept : fd_(fd) {}

  /// Closes the descriptor if one is held.
  ~unique_fd() { reset(); }

  /// Not copyable: one owner closes the descriptor.
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  /// Takes the descriptor of `other`, which is left empty.
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}

  /// Closes the held descriptor, then takes the one of `other`.
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }

  /// The descriptor, or -1; ownership stays here.
  [[nodiscard]] int get() const noexcept { return fd_; }

  /// True if a descriptor is held.
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }

  /// Gives up ownership and returns the descriptor; the object is left empty.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  /// Closes the held descriptor (errors from close are ignored) and takes `fd`.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;  ///< the owned descriptor or -1
};

}  // namespace kforge::hardware
