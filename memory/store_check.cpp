#include "memory/store_check.hpp"

#include "memory/codec.hpp"
#include "memory/map_guard.hpp"
#include "memory/store.hpp"
#include "memory/store_file.hpp"
#include "memory/text_codec.hpp"
#include "runtime/base/error.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <unordered_set>
#include <utility>

namespace kforge::memory {

namespace {

/// Called with each record that read and decoded fine.
using good_record = std::function<caf::error(table t, std::string_view key, std::string_view value)>;

caf::error key_mismatch(table t, std::string_view key, const std::string& expected) {
  return make_error(errc::store_corrupt, std::string{"table="} + table_name(t) +
                                             " key=" + printable_key(key) + ": the record's own key is " +
                                             printable_key(expected));
}

template <class Record>
caf::expected<Record> decoded(table t, std::string_view key, std::string_view value) {
  Record rec;
  if (auto err = decode(value, t, key, rec))
    return err;
  return rec;
}

// A memory item decoded as check_value reads it: its codec, and its key is its id.
caf::expected<memory_item> checked_memory_item(std::string_view key, std::string_view value) {
  auto rec = decoded<memory_item>(table::memory, key, value);
  if (rec && rec->id != key)
    return key_mismatch(table::memory, key, rec->id);
  return rec;
}

// Why a record failed, for a report: the error without its code and the recovery hint (the
// report gives that once).
std::string reason_of(const caf::error& err) {
  auto text = describe(err);
  const std::string prefix = std::string{to_string(code_of(err))} + ": ";
  if (text.compare(0, prefix.size(), prefix) == 0)
    text.erase(0, prefix.size());
  if (auto at = text.find("; `kforge store check"); at != std::string::npos)
    text.erase(at);
  return printable_key(text);  // damaged bytes quoted by the JSON parser become \xNN
}

// The error's text without its code ("store_corrupt: ").
std::string without_code(const caf::error& err) {
  auto text = describe(err);
  const std::string prefix = std::string{to_string(code_of(err))} + ": ";
  if (text.compare(0, prefix.size(), prefix) == 0)
    text.erase(0, prefix.size());
  return text;
}

// The end of a walk that stops early (not an error).
caf::error stop_walk() {
  return make_error(errc::cancelled, "walk reached the records read forward");
}

// Visits every entry of `t` that LMDB can reach: forward from the first; if the walk breaks on
// a damaged page, again from the last entry back to the last one read forward.
// Each value is handed over whole, or only its first `window.bytes` (with its whole size).
void walk_table(const txn& tx, table t, value_window window, const sized_visitor& on_entry,
                std::vector<record_failure>& failed) {
  std::string last;
  bool any = false;
  auto err = tx.for_each_head(
      t, window, false, [&](std::string_view key, std::string_view value, std::size_t size) -> caf::error {
        last.assign(key);
        any = true;
        return on_entry(key, value, size);
      });
  if (!err)
    return;
  failed.push_back({any ? "after " + printable_key(last) : "(from the first record)", reason_of(err)});
  auto back = tx.for_each_head(
      t, window, true, [&](std::string_view key, std::string_view value, std::size_t size) -> caf::error {
        if (any && key <= std::string_view{last})
          return stop_walk();
        return on_entry(key, value, size);
      });
  if (back && code_of(back) != errc::cancelled)
    failed.push_back({"(reading from the last record back)", reason_of(back)});
}

// How much of a cached reference a check reads: its header is a few hundred bytes.
constexpr std::size_t reference_head_bytes = 16 * 1024;

// Checks a cached reference from the first bytes of its value and its whole size; a header
// longer than those bytes is read whole.
caf::error check_reference_head(const txn& tx, std::string_view key, std::string_view head,
                                std::size_t size) {
  auto rec = decode_reference_header(head, size, key);
  if (!rec && code_of(rec.error()) == errc::not_found) {
    auto whole = tx.get(table::references, key);
    if (!whole)
      return std::move(whole.error());
    rec = decode_reference(*whole, key, false);
  }
  return rec ? caf::none : std::move(rec.error());
}

// A candidate as check_value reads it (its codec, and its key is its hash), and, given `tx`, the
// text its source's tail names: present in `texts` and readable. `good_tails` remembers the
// tails that were, as a task's candidates share one.
caf::error check_candidate(std::string_view key, std::string_view value, const txn* tx,
                           std::unordered_set<std::string>* good_tails) {
  auto rec = decoded<candidate_record>(table::candidates, key, value);
  if (!rec)
    return std::move(rec.error());
  if (rec->hash != key)
    return key_mismatch(table::candidates, key, rec->hash);
  if (tx == nullptr || rec->source_tail.empty() || good_tails->count(rec->source_tail) > 0)
    return caf::none;
  auto text = tx->get(table::texts, rec->source_tail);
  if (!text) {
    if (code_of(text.error()) != errc::not_found)
      return std::move(text.error());
    return make_error(errc::store_corrupt,
                      "its source's tail " + printable_key(rec->source_tail) + " is not in table texts");
  }
  if (auto decoded_text = decode_text(*text, rec->source_tail); !decoded_text)
    return std::move(decoded_text.error());
  good_tails->insert(rec->source_tail);
  return caf::none;
}

// Reads every table; calls `sink` (if set) with each good record. `dropped` gets index entries
// that decode but point at a candidate that did not (salvage leaves them out).
std::vector<table_check> walk_store(const txn& tx, const good_record& sink,
                                    std::vector<record_failure>* dropped, std::size_t& copied,
                                    reference_pages pages = reference_pages::read,
                                    const memory_visitor* on_memory = nullptr,
                                    caf::error* visit_error = nullptr) {
  std::vector<table_check> tables;
  std::unordered_set<std::string> good_candidates;
  std::unordered_set<std::string> good_tails;  // texts keys of source tails that read
  // The walk reads every page of the store once: they leave the resident set as it goes, so a
  // store of gigabytes is checked in a bounded resident set. A page fault maps the 64 KiB around
  // the page it needs (the kernel's fault-around), and a table's pages lie scattered over the
  // file: 64 MiB of values read from the memory table of a 1M-item store left ~780 MB of the
  // file resident, so the pages go every 16 MiB of values.
  constexpr std::size_t release_every = std::size_t{16} << 20;
  std::size_t read_bytes = 0;
  for (std::size_t i = 0; i < table_count; ++i) {
    table_check c;
    c.t = static_cast<table>(i);
    // A check reads a cached reference's header, not its megabytes of outputs (their pages are
    // touched under the guard, or skipped); a salvage copies them.
    const bool heads = c.t == table::references && !sink;
    value_window window;
    if (heads) {
      window.bytes = reference_head_bytes;
      window.touch_rest = pages == reference_pages::read;
    }
    walk_table(
        tx, c.t, window,
        [&](std::string_view key, std::string_view value, std::size_t size) -> caf::error {
          // A reference read by its head counts the head's bytes, not its outputs' megabytes.
          const bool head_only = heads && !window.touch_rest;
          if ((read_bytes += head_only ? std::min(size, reference_head_bytes) : size) >= release_every) {
            read_bytes = 0;
            (void)tx.release_resident();
          }
          if (c.t == table::memory && on_memory != nullptr) {
            if (*visit_error)  // stopped: the walk back from the end ends at once too
              return make_error(errc::cancelled, "the memory visitor stopped the check");
            auto item = checked_memory_item(key, value);
            if (!item) {
              c.failed.push_back({printable_key(key), reason_of(item.error())});
              return caf::none;
            }
            if (auto stop = (*on_memory)(std::move(*item))) {
              *visit_error = stop;
              return make_error(errc::cancelled, "the memory visitor stopped the check");
            }
            ++c.read;
            return caf::none;
          }
          // A candidate is read once, its source's tail text included.
          auto bad = heads                      ? check_reference_head(tx, key, value, size)
                     : c.t == table::candidates ? check_candidate(key, value, &tx, &good_tails)
                                                : check_value(c.t, key, value);
          if (bad) {
            c.failed.push_back({printable_key(key), reason_of(bad)});
            return caf::none;
          }
          if (c.t == table::candidates)
            good_candidates.emplace(key);
          if (c.t == table::task_candidates) {
            std::string hash;
            (void)decode(value, c.t, key, hash);  // checked by check_value
            if (good_candidates.count(hash) == 0) {
              record_failure f{printable_key(key),
                               "points at candidate " + hash + ", which is absent or damaged"};
              if (dropped != nullptr)
                dropped->push_back(f);
              c.failed.push_back(std::move(f));
              return caf::none;
            }
          }
          ++c.read;
          if (!sink)
            return caf::none;
          if (auto err = sink(c.t, key, value))
            return err;
          ++copied;
          return caf::none;
        },
        c.failed);
    tables.push_back(std::move(c));
  }
  return tables;
}

// Opens the store at `dir` read-only, filling the file part of `report`.
caf::expected<std::optional<store>> open_for_reading(const std::filesystem::path& dir, store_report& report) {
  report.path = dir;
  auto presence = check_store_dir(dir);
  if (!presence) {
    if (code_of(presence.error()) != errc::store_corrupt)
      return std::move(presence.error());
    report.file_problem = without_code(presence.error());
  } else if (*presence == store_presence::absent) {
    return make_error(errc::not_found, "no store at " + dir.string());
  }
  env_options opts;
  opts.read_only = true;
  auto opened = store::open(dir, opts);
  if (!opened) {
    if (code_of(opened.error()) == errc::not_found || code_of(opened.error()) == errc::io_failed)
      return std::move(opened.error());
    if (report.file_problem.empty())
      report.file_problem = without_code(opened.error());
    return std::optional<store>{};
  }
  report.opened = true;
  return std::optional<store>{std::move(*opened)};
}

// check_tables as one error: none when every record read, else the count, the first, and the hint.
caf::error report_damage(const txn& tx, const std::vector<table_check>& tables) {
  std::size_t failed = 0;
  std::string first;
  for (const auto& t : tables) {
    failed += t.failed.size();
    if (first.empty() && !t.failed.empty())
      first = std::string{table_name(t.t)} + " " + t.failed.front().key + ": " + t.failed.front().reason;
  }
  if (failed == 0)
    return caf::none;
  const auto dir = tx.store_path();
  return make_error(errc::store_corrupt, "store " + (dir / "data.mdb").string() +
                                             " is damaged: " + std::to_string(failed) +
                                             (failed == 1 ? " record does" : " records do") +
                                             " not read (first: " + first + "); " + recovery_hint(dir));
}

}  // namespace

std::size_t store_report::failures() const noexcept {
  std::size_t n = 0;
  for (const auto& t : tables)
    n += t.failed.size();
  return n;
}

caf::error check_value(table t, std::string_view key, std::string_view value) {
  switch (t) {
    case table::campaigns: {
      auto rec = decoded<campaign_record>(t, key, value);
      if (!rec)
        return std::move(rec.error());
      return rec->id == key ? caf::none : key_mismatch(t, key, rec->id);
    }
    case table::tasks: {
      auto rec = decoded<task_record>(t, key, value);
      if (!rec)
        return std::move(rec.error());
      const auto own = task_key(rec->campaign, rec->task_id);
      return own == key ? caf::none : key_mismatch(t, key, own);
    }
    case table::candidates:
      return check_candidate(key, value, nullptr, nullptr);
    case table::memory: {
      auto rec = checked_memory_item(key, value);
      return rec ? caf::none : std::move(rec.error());
    }
    case table::llm_calls: {
      auto rec = decoded<llm_call_record>(t, key, value);
      if (!rec)
        return std::move(rec.error());
      // A failed call's key is its request hash followed by "/failed/...".
      return key.substr(0, rec->request_hash.size()) == rec->request_hash
                 ? caf::none
                 : key_mismatch(t, key, rec->request_hash);
    }
    case table::task_candidates:
    case table::meta:
    case table::verdicts: {
      std::string text;
      return decode(value, t, key, text);
    }
    case table::texts: {
      auto text = decode_text(value, key);
      return text ? caf::none : std::move(text.error());
    }
    case table::references: {
      // The outputs are raw floats with nothing to decode: their pages are read (a byte each, so
      // that a page the file lost still faults here), not copied.
      auto rec = decode_reference(value, key, false);
      if (!rec)
        return std::move(rec.error());
      detail::touch_pages(value.data(), value.size());
      return caf::none;
    }
  }
  return make_error(errc::internal, "check_value: unknown table");
}

std::vector<table_check> check_tables(const txn& tx, reference_pages pages) {
  std::size_t copied = 0;
  return walk_store(tx, nullptr, nullptr, copied, pages);
}

caf::error check_records(const txn& tx, reference_pages pages) {
  return report_damage(tx, check_tables(tx, pages));
}

caf::error check_records(const txn& tx, reference_pages pages, const memory_visitor& on_memory) {
  std::size_t copied = 0;
  caf::error visit_error;
  const auto tables = walk_store(tx, nullptr, nullptr, copied, pages, &on_memory, &visit_error);
  if (visit_error)
    return visit_error;
  return report_damage(tx, tables);
}

caf::expected<store_report> check_store(const std::filesystem::path& dir) {
  store_report report;
  auto opened = open_for_reading(dir, report);
  if (!opened)
    return std::move(opened.error());
  if (!opened->has_value())
    return report;
  auto tx = (*opened)->read();
  if (!tx) {
    report.opened = false;
    report.file_problem = describe(tx.error());
    return report;
  }
  report.tables = check_tables(*tx);
  return report;
}

caf::expected<salvage_report> salvage_store(const std::filesystem::path& from,
                                            const std::filesystem::path& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec) &&
      (!std::filesystem::is_directory(out, ec) || !std::filesystem::is_empty(out, ec))) {
    return make_error(errc::io_failed, "salvage: " + out.string() +
                                           " exists and is not an empty directory; salvage never overwrites");
  }
  salvage_report result;
  auto opened = open_for_reading(from, result.source);
  if (!opened)
    return std::move(opened.error());
  if (!opened->has_value()) {
    return make_error(errc::store_corrupt,
                      "salvage: nothing of " + from.string() + " can be read: " +
                          reason_of(make_error(errc::store_corrupt, result.source.file_problem)));
  }
  auto source_tx = (*opened)->read();
  if (!source_tx)
    return std::move(source_tx.error());
  env_options out_opts;
  auto header = read_data_file_header(from);
  if (header)
    out_opts.map_size_bytes = std::max<std::size_t>(out_opts.map_size_bytes, 2 * header->file_bytes);
  auto target = store::open(out, out_opts);
  if (!target)
    return std::move(target.error());

  // Records go over in batches, one write transaction each; MDB_MAP_FULL grows the map and
  // writes the batch again.
  std::vector<std::pair<table, std::pair<std::string, std::string>>> batch;
  std::size_t batch_bytes = 0;
  auto flush = [&]() -> caf::error {
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto wtx = target->write();
      if (!wtx)
        return std::move(wtx.error());
      caf::error err;
      for (const auto& [t, kv] : batch)
        if ((err = wtx->put(t, kv.first, kv.second)))
          break;
      if (!err)
        err = wtx->commit();
      if (!err) {
        batch.clear();
        batch_bytes = 0;
        return caf::none;
      }
      if (code_of(err) != errc::store_map_full)
        return err;
      wtx->abort();
      if (auto grow = target->grow_map(2.0))
        return grow;
    }
    return make_error(errc::store_map_full, "salvage: " + out.string() + " still full after growing");
  };
  // A write failure ends the copy (it is no damage of the source): later records are skipped.
  caf::error write_error;
  auto sink = [&](table t, std::string_view key, std::string_view value) -> caf::error {
    if (write_error)
      return caf::none;
    if (t == table::meta && key == meta_schema_version)
      return caf::none;  // the new store has its own
    batch.push_back({t, {std::string{key}, std::string{value}}});
    batch_bytes += key.size() + value.size();
    if (batch.size() >= 1000 || batch_bytes >= (std::size_t{64} << 20U))
      write_error = flush();
    return caf::none;
  };
  result.source.tables = walk_store(*source_tx, sink, &result.dropped, result.copied);
  if (write_error)
    return write_error;
  if (auto err = flush())
    return err;
  return result;
}

}  // namespace kforge::memory
