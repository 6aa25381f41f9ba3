#pragma once

// The owner of a running campaign: a lock file per campaign in its store directory,
// `<store>/owners/<campaign>.lock`, held with an open-file-description lock (fcntl F_OFD_SETLK) by the
// process that runs the campaign (`kforge run`, `kforge resume`, the daemon), with its pid as the
// file's text. The kernel drops the lock when that process dies, however it dies, so a campaign
// whose record says "running" but whose lock nobody holds was interrupted (killed). A second
// process is refused the lock, so two runs of one campaign never overlap. The descriptor is
// close-on-exec: sandboxed children never inherit the lock.

#include "runtime/base/error.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace kforge::runtime {

/// Who holds a campaign's owner lock now.
struct owner_state {
  bool held = false;  ///< a live process holds it
  int64_t pid = 0;    ///< the pid written by the holder (0 when unknown)
};

/// A held owner lock; released (and the file left for the next owner) on destruction. Move-only.
class owner_lock {
 public:
  owner_lock(owner_lock&& other) noexcept;
  owner_lock& operator=(owner_lock&& other) noexcept;
  owner_lock(const owner_lock&) = delete;
  owner_lock& operator=(const owner_lock&) = delete;
  ~owner_lock();

  /// Takes the lock of `campaign` in the store at `store`, creating `owners/` when needed; never
  /// waits. On a filesystem without OFD locks it warns once per call and returns a lock that holds
  /// nothing. Errors: errc::io_failed, "campaign C is already running in process P (...)" when
  /// another holder has it, or naming the file when it cannot be created or locked.
  [[nodiscard]] static caf::expected<owner_lock> acquire(const std::filesystem::path& store,
                                                         const std::string& campaign);

  /// Whether someone holds the lock of `campaign` now, without taking it (F_OFD_GETLK). A store
  /// without the file has no holder.
  [[nodiscard]] static owner_state probe(const std::filesystem::path& store, const std::string& campaign);

  /// The lock file of `campaign` in `store`.
  [[nodiscard]] static std::filesystem::path file_of(const std::filesystem::path& store,
                                                     const std::string& campaign);

 private:
  explicit owner_lock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace kforge::runtime
