#pragma once

// The checks of a store directory before LMDB maps it: is there a store, is its data.mdb an LMDB
// file, and is the file as long as its header says. A data.mdb shorter than its header claims
// would make the first read of a missing page kill the process with SIGBUS, and a zero-length
// one would be rewritten as a new, empty store by mdb_env_open; both are refused here instead.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace kforge::memory {

/// What the directory of a store holds, as seen before opening it.
enum class store_presence : uint8_t {
  absent,    ///< no directory, or an empty one: a new store may be made there
  existing,  ///< data.mdb is there and its header and size check out
};

/// The header of data.mdb as read with pread from its two meta pages (LMDB 0.9 layout).
struct data_file_header {
  uint64_t file_bytes = 0;  ///< size of data.mdb
  uint32_t page_size = 0;   ///< LMDB page size in bytes
  uint64_t last_page = 0;   ///< last used page of the newer meta page (mm_last_pg)
  uint64_t txn_id = 0;      ///< transaction id of the newer meta page
  /// Bytes the file must hold at least: (last_page + 1) * page_size.
  [[nodiscard]] uint64_t needed_bytes() const noexcept { return (last_page + 1) * page_size; }
};

/// The recovery hint appended to every error about a damaged store at `dir`: the commands that
/// list the damage and copy what is readable.
[[nodiscard]] std::string recovery_hint(const std::filesystem::path& dir);

/// Reads the header of `dir`/data.mdb without mapping it. Errors: errc::store_corrupt naming
/// the file and what is wrong (empty, shorter than its meta pages, not an LMDB file), with the
/// recovery hint; errc::io_failed when it cannot be read.
[[nodiscard]] caf::expected<data_file_header> read_data_file_header(const std::filesystem::path& dir);

/// Checks `dir` before the store there is opened (or made). An empty or absent directory is
/// `absent`. Refused with errc::store_corrupt (message names the file, what is wrong and how to
/// recover): a data.mdb that is empty, not an LMDB file, or shorter than its header says; a
/// directory with a lock.mdb but no data.mdb (the data file is gone); a directory holding other
/// files and no data.mdb (not a kforge store: kforge makes no store beside foreign files).
/// `allow_short` accepts a data.mdb shorter than its header (store check and salvage, which
/// read it under the map guard). Errors: also errc::io_failed.
[[nodiscard]] caf::expected<store_presence> check_store_dir(const std::filesystem::path& dir,
                                                            bool allow_short = false);

}  // namespace kforge::memory
