#pragma once

// `kforge store check` and `kforge store salvage`: a read of every record of a store, decoded
// with the codecs, that says per table how many records read fine and which failed; and a copy
// of every readable record into a new store. Both open the store read-only (nothing of it is
// written) and read under the map guard, so a data.mdb that is short, empty or damaged gives a
// report, never SIGBUS.

#include "memory/env.hpp"
#include "memory/schema.hpp"
#include "memory/store.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace kforge::memory {

/// One record that did not read: its key (printable_key) and why.
struct record_failure {
  std::string key;
  std::string reason;
};

/// The result of reading one table.
struct table_check {
  table t = table::campaigns;
  std::size_t read = 0;                ///< records that decoded
  std::vector<record_failure> failed;  ///< records (or runs of them behind a damaged page) that did not
};

/// The result of checking a store.
struct store_report {
  std::filesystem::path path;
  std::string file_problem;         ///< what is wrong with data.mdb itself ("" when nothing)
  bool opened = false;              ///< whether its tables could be read at all
  std::vector<table_check> tables;  ///< in `table` order, when opened
  /// Number of failed records over all tables.
  [[nodiscard]] std::size_t failures() const noexcept;
  /// True when the file and every record read fine.
  [[nodiscard]] bool clean() const noexcept { return file_problem.empty() && opened && failures() == 0; }
};

/// Whether a check reads a byte of every page of a cached reference's outputs (raw floats, with
/// nothing to decode). Only a data.mdb shorter than its last page can fault there, and a writable
/// open refuses such a file (check_store_dir), so a command that opened the store writable may
/// skip them: at 600 cached references that is ~160k page faults, most of a launch's check.
enum class reference_pages { read, skip };

/// Decodes `value` of table `t` at `key` as the store's readers do (codecs, text and reference
/// values) and checks that a record's key is its id. Errors: errc::store_corrupt.
[[nodiscard]] caf::error check_value(table t, std::string_view key, std::string_view value);

/// Reads every table of `tx` in key order; a walk that LMDB cannot continue (a damaged page) is
/// resumed from the table's end, so that only the records behind the damage are lost. An index
/// entry of task_candidates that points at an absent candidate is a failure too.
[[nodiscard]] std::vector<table_check> check_tables(const txn& tx,
                                                    reference_pages pages = reference_pages::read);

/// check_tables as one error for a command about to use the store: none when every record
/// reads, else errc::store_corrupt naming the file, the count and the first damaged record, with
/// the recovery hint. Reads every record: its cost grows with the store (a decode of each value).
[[nodiscard]] caf::error check_records(const txn& tx, reference_pages pages = reference_pages::read);

/// check_records that also hands every memory item that read fine, decoded, to `on_memory`
/// (in id order): a launch builds its memory indexes from the check's own pass instead of
/// decoding the memory again (at a million items each pass is seconds). An error `on_memory`
/// returns ends the walk and is returned.
[[nodiscard]] caf::error check_records(const txn& tx, reference_pages pages, const memory_visitor& on_memory);

/// Checks the store at `dir`: its data.mdb (store_file.hpp) and, where it opens, every table.
/// Errors: errc::not_found when there is no store at `dir`; a damaged store is a report.
[[nodiscard]] caf::expected<store_report> check_store(const std::filesystem::path& dir);

/// The result of a salvage.
struct salvage_report {
  store_report source;                  ///< the check of the source, with what was skipped
  std::size_t copied = 0;               ///< records written to the new store
  std::vector<record_failure> dropped;  ///< readable records left out (an index entry of a lost candidate)
};

/// Copies every record of the store at `from` that reads fine into a new store at `out` (absent
/// or an empty directory: nothing is ever overwritten), which then opens and checks clean.
/// Errors: errc::io_failed (out exists and is not empty), errc::not_found (no store at `from`),
/// errc::store_corrupt (nothing of `from` could be read), errc::store_failed.
[[nodiscard]] caf::expected<salvage_report> salvage_store(const std::filesystem::path& from,
                                                          const std::filesystem::path& out);

}  // namespace kforge::memory
