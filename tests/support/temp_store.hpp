#pragma once

#include "memory/store.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>

namespace kforge::test {

/// Catch2 fixture: a fresh LMDB store in its own temp directory with a small map
/// (1 MiB by default), so tests reach MDB_MAP_FULL quickly. Throws std::runtime_error
/// when the store cannot be opened (tests only).
class temp_store {
 public:
  /// Default map size of the fixture, in bytes.
  static constexpr std::size_t default_map_size = std::size_t{1} << 20U;

  /// Opens a new store with a map of `map_size_bytes`, no fsync.
  explicit temp_store(std::size_t map_size_bytes = default_map_size);

  /// The open store. Requires is_open().
  [[nodiscard]] memory::store& store();

  /// True between open and close.
  [[nodiscard]] bool is_open() const noexcept { return store_.has_value(); }

  /// Closes the store (every transaction must have ended), as a process exit would.
  void close() noexcept;

  /// Closes and opens the store again from its directory.
  void reopen();

  /// The store directory.
  [[nodiscard]] std::filesystem::path store_path() const { return dir_.path() / "store"; }

  /// A path under the fixture's temp directory that does not exist yet (e.g. for snapshots).
  [[nodiscard]] std::filesystem::path scratch_path(const std::string& name) const {
    return dir_.path() / name;
  }

  /// Options the store is opened with.
  [[nodiscard]] const memory::env_options& options() const noexcept { return opts_; }

 private:
  temp_dir dir_{"store"};
  memory::env_options opts_;
  std::optional<memory::store> store_;
};

}  // namespace kforge::test
