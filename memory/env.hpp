#pragma once

#include "memory/schema.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct MDB_env;
struct MDB_txn;

namespace kforge::memory {

class txn;
class write_txn;

namespace detail {

/// Shared state of an open environment: the LMDB handle, the table handles and the
/// count of live transactions. Lives on the heap so that it keeps its address when
/// `env` moves; transactions point at it. Defined in env.cpp.
struct env_state;

/// Reads of a transaction of `state`: whether table `t` exists (false only in read-only
/// environments of stores older than the table).
[[nodiscard]] bool has_table(const env_state& state, table t) noexcept;

/// Aborts a transaction and tells its environment that it closed.
struct txn_closer {
  env_state* env = nullptr;  ///< non-owning; the environment outlives its transactions
  void operator()(MDB_txn* handle) const noexcept;
};

}  // namespace detail

/// Settings of `env::open`.
struct env_options {
  std::size_t map_size_bytes = std::size_t{1} << 30U;  ///< initial map size in bytes; grows with grow_map
  unsigned max_readers = 126;                          ///< reader slots: concurrent read transactions
  bool no_sync = false;  ///< MDB_NOSYNC: faster commits, a crash may lose the last ones (tests only)
  /// Open an existing store only, with MDB_RDONLY: nothing is created or written, a table the
  /// store lacks reads as empty, and a data.mdb shorter than its header is accepted (its reads
  /// run under the map guard and fail for the missing pages). For `store check` and `salvage`.
  bool read_only = false;
  /// Run in the write transaction that creates the tables of a new store (e.g. to write its
  /// schema version with them, so that no store is ever without it). Optional.
  std::function<caf::error(write_txn&)> on_create;
  /// Run in a read transaction of an existing store before anything is written to it (e.g. to
  /// refuse an LMDB file that is not a kforge store). Optional.
  std::function<caf::error(const txn&)> check_existing;
};

/// Called for each entry of a prefix scan with the key and the value. Both views point
/// into the map and are valid only during the call: copy or decode what you keep.
/// A returned error stops the scan and is returned by it.
using entry_visitor = std::function<caf::error(std::string_view key, std::string_view value)>;

/// How much of each value a walk hands its visitor: all of it (the default), or only its first
/// `bytes`; with `touch_rest`, a read transaction then reads one byte of every page of the rest
/// under the map guard (so that a page the file lost faults there) without copying it.
struct value_window {
  std::size_t bytes = static_cast<std::size_t>(-1);
  bool touch_rest = false;
};

/// Called for each entry of a windowed walk with the key, the window of its value, and the
/// value's whole size. Views as for entry_visitor.
using sized_visitor =
    std::function<caf::error(std::string_view key, std::string_view head, std::size_t size)>;

/// Read operations of an open transaction, shared by `read_txn` and `write_txn`.
/// Owns the LMDB transaction and aborts it on destruction. Not thread-safe: one
/// thread at a time uses a transaction (with MDB_NOTLS, a read transaction may
/// change threads between uses).
class txn {
 public:
  /// True while the transaction can be used; false after commit, abort, a failed
  /// write or a move.
  [[nodiscard]] bool is_open() const noexcept { return handle_ != nullptr; }

  /// Returns a copy of the value at `key` in `t`. Errors: errc::not_found when absent,
  /// errc::store_failed on an LMDB failure or a closed transaction.
  [[nodiscard]] caf::expected<std::string> get(table t, std::string_view key) const;

  /// True if `key` is present in `t`. Errors: errc::store_failed.
  [[nodiscard]] caf::expected<bool> contains(table t, std::string_view key) const;

  /// Visits every entry of `t` whose key starts with `prefix`, in key order (an empty
  /// prefix visits the whole table). Errors: the visitor's error, or errc::store_failed.
  [[nodiscard]] caf::error for_each(table t, std::string_view prefix, const entry_visitor& visit) const;

  /// Visits every entry of `t` from the last key to the first (salvage reads past a damaged
  /// page from both ends). Errors as for_each.
  [[nodiscard]] caf::error for_each_from_end(table t, const entry_visitor& visit) const;

  /// Visits every entry of `t`, forward or from the end, with the first `window.bytes` of its
  /// value only: a check of records that are megabytes long (cached references) reads their
  /// headers, not their contents. Errors as for_each.
  [[nodiscard]] caf::error for_each_head(table t, value_window window, bool backward,
                                         const sized_visitor& visit) const;

  /// Drops the store's pages from the process's resident set, like env::release_resident, without
  /// its lock: the map cannot move while a transaction is open. A long walk calls it as it goes.
  std::size_t release_resident() const noexcept;

  /// The directory of the store this transaction reads; empty when closed.
  [[nodiscard]] std::filesystem::path store_path() const;

  /// Number of entries in `t` (mdb_stat). Errors: errc::store_failed.
  [[nodiscard]] caf::expected<std::size_t> entries(table t) const;

  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;

 protected:
  /// Takes ownership of `handle`, an open transaction of `state`. A `guarded` transaction (read
  /// transactions) reads the map under the map guard (map_guard.hpp) and checks that every value
  /// lies inside the data file, so that a damaged store gives errc::store_corrupt, not SIGBUS.
  txn(detail::env_state* state, MDB_txn* handle, bool guarded) noexcept
      : handle_(handle, detail::txn_closer{state}), guarded_(guarded) {}
  /// Aborts an open transaction (through txn_closer). Protected: txn is only a base.
  ~txn() = default;
  txn(txn&&) noexcept = default;
  txn& operator=(txn&&) noexcept = default;

  /// The environment state; valid while open.
  [[nodiscard]] detail::env_state* state() const noexcept { return handle_.get_deleter().env; }

  std::unique_ptr<MDB_txn, detail::txn_closer> handle_;  ///< the transaction; null when closed
  bool guarded_ = false;                                 ///< reads under the map guard (read txns)

 private:
  // A cursor walk of `t`: from `prefix` forward with MDB_NEXT, or from the end with MDB_PREV.
  [[nodiscard]] caf::error walk(table t, std::string_view prefix, bool backward, value_window window,
                                const sized_visitor& visit) const;

  // Copies the value of an LMDB read into `out` (its first `window.bytes`, touching the rest's
  // pages if asked), checking it lies in the file when guarded.
  [[nodiscard]] caf::error copy_out(const void* data, std::size_t size, std::string& out, table t,
                                    std::string_view key, value_window window = {}) const;
};

/// A read-only snapshot of the store. Keep it short: a long reader pins old pages and
/// makes the map grow. Any thread may use it (MDB_NOTLS), one at a time.
class read_txn : public txn {
 public:
  /// An empty, closed transaction.
  read_txn() noexcept : txn(nullptr, nullptr, true) {}
  /// Aborts the transaction if it is still open. Move-only.
  ~read_txn() = default;
  read_txn(read_txn&&) noexcept = default;
  read_txn& operator=(read_txn&&) noexcept = default;
  read_txn(const read_txn&) = delete;
  read_txn& operator=(const read_txn&) = delete;

  /// Ends the transaction now instead of at destruction.
  void close() noexcept { handle_.reset(); }

 private:
  friend class env;
  read_txn(detail::env_state* state, MDB_txn* handle) noexcept : txn(state, handle, true) {}
};

/// The one write transaction of the store; LMDB serialises writers, so a second
/// `env::begin_write` blocks until this one ends. Only the curator writes. The
/// destructor aborts: nothing is visible to readers before `commit()` succeeds.
class write_txn : public txn {
 public:
  /// An empty, closed transaction.
  write_txn() noexcept : txn(nullptr, nullptr, false) {}
  /// Aborts the transaction if it is still open. Move-only.
  ~write_txn() = default;
  write_txn(write_txn&&) noexcept = default;
  write_txn& operator=(write_txn&&) noexcept = default;
  write_txn(const write_txn&) = delete;
  write_txn& operator=(const write_txn&) = delete;

  /// Stores `value` at `key` in `t`, replacing any value there. On an LMDB failure the
  /// transaction is aborted (a write event is all or nothing). Errors:
  /// errc::store_map_full (the transaction is gone: call env::grow_map, then redo the
  /// whole event), errc::store_failed (with mdb_strerror; also for a closed transaction).
  [[nodiscard]] caf::error put(table t, std::string_view key, std::string_view value);

  /// Removes `key` from `t`; an absent key is no error. On an LMDB failure the
  /// transaction is aborted. Errors: errc::store_failed.
  [[nodiscard]] caf::error erase(table t, std::string_view key);

  /// Makes every write of the transaction durable and visible. Always leaves the
  /// object closed, also on failure. Errors: errc::store_map_full, errc::store_failed.
  [[nodiscard]] caf::error commit();

  /// Drops every write of the transaction.
  void abort() noexcept { handle_.reset(); }

 private:
  friend class env;
  write_txn(detail::env_state* state, MDB_txn* handle) noexcept : txn(state, handle, false) {}
};

/// One LMDB environment (a directory holding data.mdb and lock.mdb) with the tables of
/// schema.hpp. One per process, opened with MDB_NOTLS and handed out by reference.
/// Move-only; closes the environment on destruction, after every transaction ended.
/// Thread-safe: any thread may begin transactions.
class env {
 public:
  /// Opens (creating the directory and the tables if needed) the environment at `dir`, after
  /// check_store_dir (store_file.hpp) found it absent or sound; an existing store gets only its
  /// missing tables created, after `opts.check_existing` accepted it. Errors: errc::io_failed
  /// (directory), errc::store_failed (LMDB, with mdb_strerror), errc::store_corrupt (a damaged
  /// or foreign data.mdb, named with how to recover), errc::not_found (read_only: no store).
  [[nodiscard]] static caf::expected<env> open(const std::filesystem::path& dir, const env_options& opts);

  /// A closed environment; only assignment and destruction are valid.
  env() noexcept;
  /// Closes the environment; every transaction must have ended (asserted).
  ~env();
  env(env&&) noexcept;
  env& operator=(env&&) noexcept;
  env(const env&) = delete;
  env& operator=(const env&) = delete;

  /// Begins a read transaction. Errors: errc::store_failed (e.g. MDB_READERS_FULL).
  [[nodiscard]] caf::expected<read_txn> begin_read() const;

  /// Begins the write transaction, blocking while another one is open. Only the
  /// curator calls this. Errors: errc::store_failed.
  [[nodiscard]] caf::expected<write_txn> begin_write();

  /// Multiplies the map size by `factor` (> 1), after MDB_MAP_FULL. LMDB remaps only
  /// while no transaction of this process is open, so this holds back new transactions
  /// and waits up to `wait` for the open ones (and snapshots) to end. The caller must
  /// hold none itself. Errors: errc::store_failed (still busy after `wait`, bad factor,
  /// or LMDB refused).
  [[nodiscard]] caf::error grow_map(double factor, std::chrono::milliseconds wait = std::chrono::seconds{10});

  /// Current map size in bytes; 0 if closed.
  [[nodiscard]] std::size_t map_size() const noexcept;

  /// Drops the map's pages from this process's resident set (madvise MADV_DONTNEED on the
  /// read-only shared mapping): they stay in the kernel's page cache, and a later read faults
  /// them back in from there. For after a pass over the whole store (a launch's check and
  /// memory load), which would otherwise leave every page of data.mdb counted in the process's
  /// RSS. Holds back remaps (grow_map) while it runs. Returns the bytes of the mappings released
  /// (0: none found).
  std::size_t release_resident() noexcept;

  /// Writes a compacted copy of the committed state to `dir`, which must be absent or
  /// empty (it is created). Consistent while writers are active: it copies one read
  /// snapshot. Blocks for the copy. Errors: errc::io_failed (directory exists and is
  /// not empty, cannot be created), errc::store_failed (mdb_env_copy2).
  [[nodiscard]] caf::error snapshot_to(const std::filesystem::path& dir) const;

  /// The directory of the environment.
  [[nodiscard]] const std::filesystem::path& path() const noexcept;

 private:
  explicit env(std::unique_ptr<detail::env_state> state) noexcept;

  /// Opens the handle of every table in one transaction of `st`: with MDB_CREATE in a write
  /// transaction that then runs `on_create` and commits, else as found, in a read transaction
  /// under the map guard (absent tables are marked so).
  [[nodiscard]] static caf::error open_tables(detail::env_state& st, bool create,
                                              const std::function<caf::error(write_txn&)>& on_create,
                                              const std::string& at);

  std::unique_ptr<detail::env_state> state_;
};

}  // namespace kforge::memory
