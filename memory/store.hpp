#pragma once

#include "memory/env.hpp"
#include "memory/records.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kforge::memory {

/// The kforge store: the LMDB environment with the tables of schema.hpp, checked for a
/// schema version this build can read. One per process, owned by the runtime and
/// handed out by reference. Readers (retriever, API server, task actors on resume)
/// call read(); only the curator calls write(), one logical event per transaction.
/// Thread-safe as `env` is. Move-only.
class store {
 public:
  /// Opens or creates the store in `dir` (`opts.on_create` and `check_existing` are set here).
  /// A new store gets meta "schema_version" with its tables. Errors: errc::io_failed,
  /// errc::store_failed, errc::store_corrupt (a damaged data.mdb, an LMDB file or directory that
  /// is not a kforge store, a store written by a newer schema version, or an unreadable version
  /// entry; check_store_dir in store_file.hpp), errc::not_found (read_only and no store).
  [[nodiscard]] static caf::expected<store> open(const std::filesystem::path& dir,
                                                 const env_options& opts = {});

  /// A closed store; only assignment and destruction are valid.
  store() noexcept = default;

  /// Begins a short read transaction. Any thread. Errors: errc::store_failed.
  [[nodiscard]] caf::expected<read_txn> read() const { return env_.begin_read(); }

  /// Begins the write transaction; blocks while another is open. Only the curator
  /// calls this. Errors: errc::store_failed.
  [[nodiscard]] caf::expected<write_txn> write() { return env_.begin_write(); }

  /// Grows the map by `factor` after errc::store_map_full; waits up to `wait` for open
  /// transactions of other threads to end (the caller holds none), then redo the event.
  /// Errors: errc::store_failed.
  [[nodiscard]] caf::error grow_map(double factor = 2.0,
                                    std::chrono::milliseconds wait = std::chrono::seconds{10}) {
    return env_.grow_map(factor, wait);
  }

  /// Writes a compacted, consistent copy of the committed state into `dir` (absent or
  /// empty), which store::open can open. Safe while the curator writes.
  /// Errors: errc::io_failed, errc::store_failed.
  [[nodiscard]] caf::error snapshot(const std::filesystem::path& dir) const { return env_.snapshot_to(dir); }

  /// Drops the store's pages from the process's resident set (env::release_resident).
  std::size_t release_resident() noexcept { return env_.release_resident(); }

  /// The underlying environment, for raw access (tests, tools).
  [[nodiscard]] memory::env& environment() noexcept { return env_; }

  /// The store's directory.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return env_.path(); }

 private:
  explicit store(memory::env e) noexcept : env_(std::move(e)) {}

  /// Checks meta "schema_version" of the store; a writable open of an older store records this
  /// build's version (the older values stay as they are: this build reads them).
  [[nodiscard]] caf::error check_schema(bool writable);

  memory::env env_;
};

// Typed access. Readers take any transaction (`txn` is the base of read_txn and
// write_txn); writers take the curator's write_txn. Ids are non-empty and contain no
// zero byte, else errc::bad_request. A put replaces the record with the same key.
// Errors common to all: errc::store_failed (LMDB), errc::store_corrupt (a record does
// not decode; names table and key), errc::store_map_full (puts; grow and redo the event).

/// Called with each decoded memory item; a returned error stops the scan and is returned.
using memory_visitor = std::function<caf::error(memory_item&& item)>;

/// Stores a campaign under its id.
[[nodiscard]] caf::error put_campaign(write_txn& tx, const campaign_record& rec);

/// Reads a campaign. Errors: errc::not_found.
[[nodiscard]] caf::expected<campaign_record> get_campaign(const txn& tx, std::string_view id);

/// Every campaign, ordered by id.
[[nodiscard]] caf::expected<std::vector<campaign_record>> list_campaigns(const txn& tx);

/// Stores a task under (campaign, task_id).
[[nodiscard]] caf::error put_task(write_txn& tx, const task_record& rec);

/// Reads one task of a campaign. Errors: errc::not_found.
[[nodiscard]] caf::expected<task_record> get_task(const txn& tx, std::string_view campaign,
                                                  std::string_view task_id);

/// Every task of `campaign`, ordered by task id.
[[nodiscard]] caf::expected<std::vector<task_record>> list_tasks(const txn& tx, std::string_view campaign);

/// Stores a candidate under its hash and the index entry (campaign, task_id, seq) -> hash.
/// Rewriting a candidate with a new seq moves its index entry. When `tail` is given, has
/// shared_tail_min bytes or more and ends the source, the text goes into `texts` once and the
/// record keeps only what precedes it (a rendered candidate's value then fits in an LMDB leaf,
/// where a whole source took two overflow pages). Errors: errc::bad_request when seq < 0 or
/// seq is already taken by another candidate of the task (nothing is written), or when
/// `rec.source_tail` is set (that field is the store's).
[[nodiscard]] caf::error put_candidate(write_txn& tx, const candidate_record& rec,
                                       const shared_tail* tail = nullptr);

/// Reads a candidate by hash, its source whole. Errors: errc::not_found; errc::store_corrupt
/// also when the source's tail text is absent from `texts`.
[[nodiscard]] caf::expected<candidate_record> get_candidate(const txn& tx, std::string_view hash);

/// True if a candidate with `hash` is stored (the duplicate check before verifying).
[[nodiscard]] caf::expected<bool> has_candidate(const txn& tx, std::string_view hash);

/// The candidates of one task in seq order. Errors: errc::store_corrupt also when an
/// index entry points at an absent candidate.
[[nodiscard]] caf::expected<std::vector<candidate_record>> list_candidates(const txn& tx,
                                                                           std::string_view campaign,
                                                                           std::string_view task_id);

/// Number of candidates of `campaign` over all its tasks (counts index entries).
[[nodiscard]] caf::expected<int64_t> count_candidates(const txn& tx, std::string_view campaign);

/// Stores a memory item under its id.
[[nodiscard]] caf::error put_memory(write_txn& tx, const memory_item& item);

/// Reads a memory item. Errors: errc::not_found.
[[nodiscard]] caf::expected<memory_item> get_memory(const txn& tx, std::string_view id);

/// Every memory item, ordered by id.
[[nodiscard]] caf::expected<std::vector<memory_item>> list_memory(const txn& tx);

/// Visits every memory item in id order without holding all of them at once.
[[nodiscard]] caf::error for_each_memory(const txn& tx, const memory_visitor& visit);

/// Stores a policy call under its request hash (the response cache). A non-empty
/// system_prompt or user_prompt goes into `texts` (put_text) and its key into
/// system_text / user_text, in the same transaction; the prompts are not part of the value.
[[nodiscard]] caf::error put_llm_call(write_txn& tx, const llm_call_record& rec);

/// Fills `rec.system_prompt` and `rec.user_prompt` from `texts` by the keys the record holds;
/// an empty key (a call recorded before prompts were) leaves its prompt empty.
/// Errors: errc::not_found naming the call and the absent key, errc::store_corrupt.
[[nodiscard]] caf::error load_prompt(const txn& tx, llm_call_record& rec);

/// Stores `text` in `texts` under its SHA-256 and returns that key. A text already stored
/// is not written again (calls share their system prompt). Long texts are compressed
/// (text_codec.hpp).
[[nodiscard]] caf::expected<std::string> put_text(write_txn& tx, std::string_view text);

/// Reads the text stored under `key`. Errors: errc::not_found, errc::store_corrupt.
[[nodiscard]] caf::expected<std::string> get_text(const txn& tx, std::string_view key);

/// The hashes of the stored candidates that start with `prefix` (at most `limit`), in hash order.
[[nodiscard]] caf::expected<std::vector<std::string>> find_candidate_hashes(const txn& tx,
                                                                            std::string_view prefix,
                                                                            std::size_t limit = 16);

/// Reads a cached policy call. Errors: errc::not_found.
[[nodiscard]] caf::expected<llm_call_record> get_llm_call(const txn& tx, std::string_view request_hash);

/// Every recorded LLM call of `campaign` (all campaigns when empty), in request-hash order.
[[nodiscard]] caf::expected<std::vector<llm_call_record>> list_llm_calls(const txn& tx,
                                                                         std::string_view campaign);

/// Stores a meta string (machine peaks, config hashes; keys in schema.hpp).
[[nodiscard]] caf::error put_meta(write_txn& tx, std::string_view key, std::string_view value);

/// Reads a meta string. Errors: errc::not_found.
[[nodiscard]] caf::expected<std::string> get_meta(const txn& tx, std::string_view key);

/// Records that the verdict with `verdict_key` is stored in candidate `candidate_hash`.
[[nodiscard]] caf::error put_verdict_ref(write_txn& tx, std::string_view verdict_key,
                                         std::string_view candidate_hash);

/// The candidate holding the verdict with `verdict_key`; errc::not_found if none.
[[nodiscard]] caf::expected<std::string> get_verdict_ref(const txn& tx, std::string_view verdict_key);

/// Key of a task's entry in `references`: SHA-256 of (build signature, device, task id).
[[nodiscard]] std::string reference_key(std::string_view signature, std::string_view device,
                                        std::string_view task_id);

/// Stores a prepared reference under reference_key(rec.signature, rec.device, rec.task_id),
/// replacing the entry of an earlier definition of the task. Errors: errc::bad_request (empty
/// task id or device).
[[nodiscard]] caf::error put_reference(write_txn& tx, const reference_record& rec);

/// The cached reference of `task_id` on `device` under `signature`, whatever definition it was
/// made for (the caller compares reference_hash with task_def::reference_hash). Errors: errc::not_found,
/// errc::store_corrupt (a value that is cut short or whose header does not decode).
[[nodiscard]] caf::expected<reference_record> get_reference(const txn& tx, std::string_view signature,
                                                            std::string_view device,
                                                            std::string_view task_id);

/// Decodes a value of table `references` (schema.hpp: reference_value) stored under `key`.
/// Errors: errc::store_corrupt (cut short, or a header that does not decode).
/// With `with_data` false the header alone is decoded and `data` stays empty (a check that the
/// record reads, without copying its megabytes).
[[nodiscard]] caf::expected<reference_record> decode_reference(std::string_view value, std::string_view key,
                                                               bool with_data = true);

/// Decodes the header of a `references` value from its first bytes `head` and the value's
/// whole `size` (data stays empty). Errors: errc::store_corrupt (cut short, or a header that does
/// not decode); errc::not_found when `head` is too short to hold the header (read more of it).
[[nodiscard]] caf::expected<reference_record> decode_reference_header(std::string_view head, std::size_t size,
                                                                      std::string_view key);

}  // namespace kforge::memory
