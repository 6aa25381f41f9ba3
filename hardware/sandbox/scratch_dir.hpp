#pragma once

#include "runtime/base/error.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kforge::hardware {

/// A private directory that is removed, with everything in it, when the object
/// is destroyed. Move-only; used for per-candidate and per-run work.
class scratch_dir {
 public:
  /// Creates a fresh directory "<parent>/<prefix>XXXXXX" (mkdtemp, mode 0700),
  /// creating `parent` first if needed: each missing directory gets mode 0711
  /// (a sandboxed user may pass through to a directory lent to it, but cannot
  /// list the others). Errors: errc::io_failed naming the path.
  [[nodiscard]] static caf::expected<scratch_dir> create(const std::filesystem::path& parent,
                                                         const std::string& prefix);

  /// Makes an empty object that owns no directory.
  scratch_dir() noexcept = default;

  /// Removes the directory recursively (errors are logged, not thrown).
  ~scratch_dir();

  /// Not copyable: one owner removes the directory.
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  /// Takes the directory of `other`, which is left empty.
  scratch_dir(scratch_dir&& other) noexcept;

  /// Removes the held directory, then takes the one of `other`.
  scratch_dir& operator=(scratch_dir&& other) noexcept;

  /// The directory (absolute), or an empty path.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// True if no directory is held.
  [[nodiscard]] bool empty() const noexcept { return path_.empty(); }

  /// Removes the held directory now; the object is left empty.
  void remove() noexcept;

  /// Gives up ownership: the directory stays on disk and its path is returned.
  [[nodiscard]] std::filesystem::path release() noexcept;

 private:
  explicit scratch_dir(std::filesystem::path path) noexcept : path_(std::move(path)) {}

  std::filesystem::path path_;  ///< absolute; empty when nothing is owned
};

/// Removes `dir` recursively; a missing directory is not an error.
/// Errors: errc::io_failed naming the path.
[[nodiscard]] caf::error remove_tree(const std::filesystem::path& dir);

/// Gives `dir` and everything below it to `uid`:`gid`, the top first. Never
/// follows a symbolic link (links themselves change owner), so a tree written
/// by a sandboxed program cannot redirect it; stops 64 levels down (deeper
/// entries stay as they are, behind directories that changed owner).
/// Errors: errc::io_failed naming the path.
[[nodiscard]] caf::error change_owner_tree(const std::filesystem::path& dir, uid_t uid, gid_t gid);

/// A candidate id as part of a directory name: ASCII letters, digits, '_'
/// and '-' kept, anything else '_', at most 48 characters, "cand" when empty.
[[nodiscard]] std::string safe_name(const std::string& id);

/// Writes `text` to `path`, replacing it. Errors: errc::io_failed naming the path.
[[nodiscard]] caf::error write_text(const std::filesystem::path& path, std::string_view text);

/// Places `text` at `path` atomically with permissions `mode`: writes a
/// temporary file of its own in the same directory (mkstemp, so concurrent
/// callers in one process or many never share one), then renames it over
/// `path`. A reader sees the old file or the whole new one, never a part.
/// Errors: errc::io_failed naming the path.
[[nodiscard]] caf::error place_text(const std::filesystem::path& path, std::string_view text, mode_t mode);

/// The whole file at `path`, or nullopt when it cannot be read.
[[nodiscard]] std::optional<std::string> read_text(const std::filesystem::path& path);

}  // namespace kforge::hardware
