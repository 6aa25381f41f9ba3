#pragma once

// Stores to damage, for the tests of damaged stores (tests/memory/store_check_test.cpp,
// tests/runtime/cli/damaged_store_test.cpp): a small campaign written through memory::store,
// ways to damage a copy of its data.mdb, and a fingerprint to prove a file was not rewritten.

#include "memory/store.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kforge::test {

/// What write_sample_campaign wrote, to look for in a salvaged copy.
struct sample_campaign_ids {
  std::string campaign;
  std::vector<std::string> tasks;       ///< task ids
  std::vector<std::string> candidates;  ///< candidate hashes, in write order
};

/// The text in candidate `hash`'s source that appears nowhere else in the file (its marker).
[[nodiscard]] std::string candidate_marker(const std::string& campaign, int task, int seq);

/// Writes campaign `name` with `tasks` tasks of `per_task` candidates each (sources of ~300
/// bytes, several to a page, each with its candidate_marker) in one write transaction, so that
/// the file holds one copy of each record.
sample_campaign_ids write_sample_campaign(memory::store& st, const std::string& name, int tasks,
                                          int per_task);

/// Size, modification time and SHA-256 of a file: equal fingerprints mean it was not rewritten.
struct file_fingerprint {
  uintmax_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;
  bool operator==(const file_fingerprint& o) const {
    return size == o.size && mtime_ns == o.mtime_ns && sha256 == o.sha256;
  }
};

/// The fingerprint of `file` (throws std::runtime_error when it cannot be read).
[[nodiscard]] file_fingerprint fingerprint(const std::filesystem::path& file);

/// The whole content of `file`.
[[nodiscard]] std::string read_bytes(const std::filesystem::path& file);

/// Offset of the only occurrence of `needle` in `file`; throws if absent or not unique.
[[nodiscard]] std::size_t unique_offset(const std::filesystem::path& file, const std::string& needle);

/// XORs `count` bytes of `file` from `offset` with 0xff (bytes of JSON text become invalid UTF-8).
void flip_bytes(const std::filesystem::path& file, std::size_t offset, std::size_t count);

/// Copies `from`/data.mdb into a new directory `to` (no lock.mdb), as an operator's copy would.
void copy_store(const std::filesystem::path& from, const std::filesystem::path& to);

/// Writes an LMDB environment at `dir` that is not a kforge store: one key in the main database.
void write_foreign_lmdb(const std::filesystem::path& dir);

}  // namespace kforge::test
