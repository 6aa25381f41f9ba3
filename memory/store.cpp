#include "memory/store.hpp"

#include "memory/codec.hpp"
#include "memory/schema.hpp"
#include "memory/store_file.hpp"
#include "memory/text_codec.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <charconv>
#include <utility>

namespace kforge::memory {

namespace {

caf::error check_id(const char* what, std::string_view id) {
  if (is_valid_id(id))
    return caf::none;
  return make_error(errc::bad_request,
                    std::string{what} + " '" + printable_key(id) + "' is empty or contains a zero byte");
}

// A record that does not decode: the error gets the store's file and how to recover, unless it
// has them (errors of env.cpp and store_file.cpp do).
caf::error damaged(const txn& tx, caf::error err) {
  if (code_of(err) != errc::store_corrupt)
    return err;
  auto text = describe(err);
  if (text.find("kforge store check") != std::string::npos)
    return err;
  const std::string prefix = std::string{to_string(errc::store_corrupt)} + ": ";
  if (text.compare(0, prefix.size(), prefix) == 0)
    text.erase(0, prefix.size());
  const auto dir = tx.store_path();
  return make_error(errc::store_corrupt,
                    text + " (in " + (dir / "data.mdb").string() + "); " + recovery_hint(dir));
}

template <class Record>
caf::error put_record(write_txn& tx, table t, std::string_view key, const Record& rec) {
  auto bytes = encode(rec);
  if (!bytes)
    return std::move(bytes.error());
  return tx.put(t, key, *bytes);
}

template <class Record>
caf::expected<Record> get_record(const txn& tx, table t, std::string_view key) {
  auto bytes = tx.get(t, key);
  if (!bytes)
    return std::move(bytes.error());
  auto rec = decode_as<Record>(*bytes, t, key);
  if (!rec)
    return damaged(tx, std::move(rec.error()));
  return rec;
}

template <class Record>
caf::expected<std::vector<Record>> list_records(const txn& tx, table t, std::string_view prefix) {
  std::vector<Record> out;
  auto err = tx.for_each(t, prefix, [&](std::string_view key, std::string_view value) -> caf::error {
    Record rec;
    if (auto decode_err = decode(value, t, key, rec))
      return damaged(tx, std::move(decode_err));
    out.push_back(std::move(rec));
    return caf::none;
  });
  if (err)
    return err;
  return out;
}

// Records this build's schema version: in a new store's first transaction, and when an older
// store is opened for writing.
caf::error put_schema_version(write_txn& tx) {
  return put_meta(tx, meta_schema_version, std::to_string(schema_version));
}

}  // namespace

// ---- store -----------------------------------------------------------------------------

caf::expected<store> store::open(const std::filesystem::path& dir, const env_options& options) {
  env_options opts = options;
  // A new store gets its schema version in the transaction that makes its tables, so every
  // kforge store has one; an existing LMDB file without it is not a kforge store and is left as
  // it is (nothing is written to it).
  opts.on_create = [](write_txn& tx) { return put_schema_version(tx); };
  opts.check_existing = [dir](const txn& tx) -> caf::error {
    auto found = tx.contains(table::meta, meta_schema_version);
    if (!found)
      return std::move(found.error());
    if (*found)
      return caf::none;
    return make_error(errc::store_corrupt, "store " + (dir / "data.mdb").string() +
                                               " is not a kforge store: an LMDB file without meta "
                                               "schema_version; kforge does not write to it");
  };
  auto opened = env::open(dir, opts);
  if (!opened)
    return std::move(opened.error());
  store result{std::move(*opened)};
  if (auto err = result.check_schema(!opts.read_only))
    return err;
  log::logger{"kforge.memory"}.info("store opened", {{"path", dir.string()},
                                                     {"schema_version", static_cast<int>(schema_version)},
                                                     {"map_size", result.env_.map_size()}});
  return result;
}

caf::error store::check_schema(bool writable) {
  const std::string at = "meta schema_version path=" + env_.path().string();
  auto read_version = [&](const txn& tx) -> caf::expected<std::string> {
    return tx.get(table::meta, meta_schema_version);
  };
  auto raw = [&]() -> caf::expected<std::string> {
    auto rtx = env_.begin_read();
    if (!rtx)
      return std::move(rtx.error());
    return read_version(*rtx);
  }();
  // open() wrote the version into a new store and refused an existing one without it.
  if (!raw)
    return std::move(raw.error());
  // Compare before decoding: a newer writer may have changed the value format too.
  if (!raw->empty() && static_cast<unsigned char>(raw->front()) > schema_version) {
    return make_error(errc::store_corrupt, at + ": value has schema version " +
                                               std::to_string(static_cast<unsigned char>(raw->front())) +
                                               ", newer than this build's " + std::to_string(schema_version));
  }
  std::string text;
  if (auto err = decode(*raw, table::meta, meta_schema_version, text))
    return err;
  unsigned version = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc{} || end != text.data() + text.size() || version == 0) {
    return make_error(errc::store_corrupt, at + ": '" + text + "' is not a schema version");
  }
  if (version > schema_version) {
    return make_error(errc::store_corrupt, at + ": store has schema version " + text +
                                               ", newer than this build's " + std::to_string(schema_version) +
                                               "; refusing to open");
  }
  if (version == schema_version || !writable)
    return caf::none;
  // Version 1 values are all JSON; version 2 reads them as they are and writes the hot records
  // compactly (binary_codec.hpp), so the upgrade only records the new version: a build that
  // reads only version 1 then refuses the store at open instead of at its first new value.
  auto tx = env_.begin_write();
  if (!tx)
    return std::move(tx.error());
  if (auto err = put_schema_version(*tx))
    return err;
  if (auto err = tx->commit())
    return err;
  log::logger{"kforge.memory"}.info("store schema upgraded", {{"path", env_.path().string()},
                                                              {"from", static_cast<int>(version)},
                                                              {"to", static_cast<int>(schema_version)}});
  return caf::none;
}

// ---- campaigns -------------------------------------------------------------------------

caf::error put_campaign(write_txn& tx, const campaign_record& rec) {
  if (auto err = check_id("campaign id", rec.id))
    return err;
  return put_record(tx, table::campaigns, rec.id, rec);
}

caf::expected<campaign_record> get_campaign(const txn& tx, std::string_view id) {
  if (auto err = check_id("campaign id", id))
    return err;
  return get_record<campaign_record>(tx, table::campaigns, id);
}

caf::expected<std::vector<campaign_record>> list_campaigns(const txn& tx) {
  return list_records<campaign_record>(tx, table::campaigns, {});
}

// ---- tasks -----------------------------------------------------------------------------

caf::error put_task(write_txn& tx, const task_record& rec) {
  if (auto err = check_id("campaign id", rec.campaign))
    return err;
  if (auto err = check_id("task id", rec.task_id))
    return err;
  return put_record(tx, table::tasks, task_key(rec.campaign, rec.task_id), rec);
}

caf::expected<task_record> get_task(const txn& tx, std::string_view campaign, std::string_view task_id) {
  if (auto err = check_id("campaign id", campaign))
    return err;
  if (auto err = check_id("task id", task_id))
    return err;
  return get_record<task_record>(tx, table::tasks, task_key(campaign, task_id));
}

caf::expected<std::vector<task_record>> list_tasks(const txn& tx, std::string_view campaign) {
  if (auto err = check_id("campaign id", campaign))
    return err;
  return list_records<task_record>(tx, table::tasks, campaign_prefix(campaign));
}

// ---- candidates ------------------------------------------------------------------------

namespace {

// Stores `text` in `texts` under `key` (its sha256_hex) unless it is there.
caf::error put_text_as(write_txn& tx, std::string_view key, std::string_view text) {
  auto present = tx.contains(table::texts, key);
  if (!present)
    return std::move(present.error());
  if (*present)
    return caf::none;
  auto bytes = encode_text(text);
  if (!bytes)
    return std::move(bytes.error());
  return tx.put(table::texts, key, *bytes);
}

// Appends the text of `rec.source_tail` to its source. `cache` keeps the last text read, as a
// task's candidates share one.
caf::error join_tail(const txn& tx, candidate_record& rec, shared_tail* cache = nullptr) {
  if (rec.source_tail.empty())
    return caf::none;
  shared_tail own;
  auto& held = cache != nullptr ? *cache : own;
  if (held.key != rec.source_tail) {
    auto text = get_text(tx, rec.source_tail);
    if (!text) {
      if (code_of(text.error()) != errc::not_found)
        return std::move(text.error());
      return damaged(
          tx, make_error(errc::store_corrupt, "table=candidates key=" + printable_key(rec.hash) +
                                                  ": its source's tail " + printable_key(rec.source_tail) +
                                                  " is not in table texts"));
    }
    held.key = rec.source_tail;
    held.text = std::move(*text);
  }
  rec.source += held.text;
  rec.source_tail.clear();
  return caf::none;
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

caf::error put_candidate(write_txn& tx, const candidate_record& rec, const shared_tail* tail) {
  if (!rec.source_tail.empty())
    return make_error(errc::bad_request, "candidate " + rec.hash + ": source_tail is set by the store");
  if (auto err = check_id("candidate hash", rec.hash))
    return err;
  if (auto err = check_id("campaign id", rec.campaign))
    return err;
  if (auto err = check_id("task id", rec.task_id))
    return err;
  if (rec.seq < 0) {
    return make_error(errc::bad_request,
                      "candidate " + rec.hash + ": seq " + std::to_string(rec.seq) + " < 0");
  }
  const std::string index_key = task_candidate_key(rec.campaign, rec.task_id, rec.seq);
  auto taken = tx.get(table::task_candidates, index_key);
  if (taken) {
    std::string holder;
    if (auto err = decode(*taken, table::task_candidates, index_key, holder))
      return err;
    if (holder != rec.hash) {
      return make_error(errc::bad_request, "candidate " + rec.hash + ": seq " + std::to_string(rec.seq) +
                                               " of task " + rec.campaign + "/" + rec.task_id +
                                               " is taken by " + holder);
    }
  } else if (code_of(taken.error()) != errc::not_found) {
    return std::move(taken.error());
  }
  // A rewrite that changes campaign, task or seq must not leave the old index entry behind.
  auto previous = get_record<candidate_record>(tx, table::candidates, rec.hash);
  if (previous) {
    const std::string old_key = task_candidate_key(previous->campaign, previous->task_id, previous->seq);
    if (old_key != index_key) {
      if (auto err = tx.erase(table::task_candidates, old_key))
        return err;
    }
  } else if (code_of(previous.error()) != errc::not_found) {
    return std::move(previous.error());
  }
  auto hash_value = encode_string(rec.hash);
  if (!hash_value)
    return std::move(hash_value.error());
  if (tail != nullptr && tail->text.size() >= shared_tail_min && ends_with(rec.source, tail->text)) {
    if (auto err = put_text_as(tx, tail->key, tail->text))
      return err;
    candidate_record head = rec;
    head.source.resize(rec.source.size() - tail->text.size());
    head.source_tail = tail->key;
    if (auto err = put_record(tx, table::candidates, rec.hash, head))
      return err;
  } else if (auto err = put_record(tx, table::candidates, rec.hash, rec)) {
    return err;
  }
  return tx.put(table::task_candidates, index_key, *hash_value);
}

caf::expected<candidate_record> get_candidate(const txn& tx, std::string_view hash) {
  if (auto err = check_id("candidate hash", hash))
    return err;
  auto rec = get_record<candidate_record>(tx, table::candidates, hash);
  if (rec)
    if (auto err = join_tail(tx, *rec))
      return err;
  return rec;
}

caf::expected<bool> has_candidate(const txn& tx, std::string_view hash) {
  if (auto err = check_id("candidate hash", hash))
    return err;
  return tx.contains(table::candidates, hash);
}

caf::expected<std::vector<candidate_record>> list_candidates(const txn& tx, std::string_view campaign,
                                                             std::string_view task_id) {
  if (auto err = check_id("campaign id", campaign))
    return err;
  if (auto err = check_id("task id", task_id))
    return err;
  std::vector<candidate_record> out;
  shared_tail last_tail;
  const std::string prefix = task_candidates_prefix(campaign, task_id);
  auto err = tx.for_each(
      table::task_candidates, prefix, [&](std::string_view key, std::string_view value) -> caf::error {
        std::string hash;
        if (auto decode_err = decode(value, table::task_candidates, key, hash))
          return damaged(tx, std::move(decode_err));
        auto rec = get_record<candidate_record>(tx, table::candidates, hash);
        if (!rec) {
          if (code_of(rec.error()) != errc::not_found)
            return std::move(rec.error());
          return damaged(tx,
                         make_error(errc::store_corrupt, "table=task_candidates key=" + printable_key(key) +
                                                             ": points at absent candidate " + hash));
        }
        if (auto tail_err = join_tail(tx, *rec, &last_tail))
          return tail_err;
        out.push_back(std::move(*rec));
        return caf::none;
      });
  if (err)
    return err;
  return out;
}

caf::expected<int64_t> count_candidates(const txn& tx, std::string_view campaign) {
  if (auto err = check_id("campaign id", campaign))
    return err;
  int64_t count = 0;
  auto err = tx.for_each(table::task_candidates, campaign_prefix(campaign),
                         [&](std::string_view, std::string_view) -> caf::error {
                           ++count;
                           return caf::none;
                         });
  if (err)
    return err;
  return count;
}

// ---- memory items ----------------------------------------------------------------------

caf::error put_memory(write_txn& tx, const memory_item& item) {
  if (auto err = check_id("memory item id", item.id))
    return err;
  return put_record(tx, table::memory, item.id, item);
}

caf::expected<memory_item> get_memory(const txn& tx, std::string_view id) {
  if (auto err = check_id("memory item id", id))
    return err;
  return get_record<memory_item>(tx, table::memory, id);
}

caf::expected<std::vector<memory_item>> list_memory(const txn& tx) {
  return list_records<memory_item>(tx, table::memory, {});
}

caf::error for_each_memory(const txn& tx, const memory_visitor& visit) {
  return tx.for_each(table::memory, {}, [&](std::string_view key, std::string_view value) -> caf::error {
    memory_item item;
    if (auto err = decode(value, table::memory, key, item))
      return damaged(tx, std::move(err));
    return visit(std::move(item));
  });
}

// ---- llm calls and meta ----------------------------------------------------------------

caf::error put_llm_call(write_txn& tx, const llm_call_record& rec) {
  if (auto err = check_id("request hash", rec.request_hash))
    return err;
  if (rec.system_prompt.empty() && rec.user_prompt.empty())
    return put_record(tx, table::llm_calls, rec.request_hash, rec);
  llm_call_record stored = rec;
  for (auto [prompt, key] :
       {std::pair{&rec.system_prompt, &stored.system_text}, std::pair{&rec.user_prompt, &stored.user_text}}) {
    if (prompt->empty())
      continue;
    auto hash = put_text(tx, *prompt);
    if (!hash)
      return std::move(hash.error());
    *key = std::move(*hash);
  }
  stored.system_prompt.clear();
  stored.user_prompt.clear();
  return put_record(tx, table::llm_calls, stored.request_hash, stored);
}

caf::error load_prompt(const txn& tx, llm_call_record& rec) {
  for (auto [key, prompt] :
       {std::pair{&rec.system_text, &rec.system_prompt}, std::pair{&rec.user_text, &rec.user_prompt}}) {
    if (key->empty())
      continue;
    auto text = get_text(tx, *key);
    if (!text) {
      if (code_of(text.error()) == errc::not_found)
        return make_error(errc::not_found, "llm call " + printable_key(rec.request_hash) + ": prompt text " +
                                               printable_key(*key) + " is not in table texts");
      return std::move(text.error());
    }
    *prompt = std::move(*text);
  }
  return caf::none;
}

caf::expected<std::string> put_text(write_txn& tx, std::string_view text) {
  std::string key = sha256_hex(text);
  if (auto err = put_text_as(tx, key, text))
    return err;
  return key;
}

caf::expected<std::string> get_text(const txn& tx, std::string_view key) {
  if (auto err = check_id("text key", key))
    return err;
  auto bytes = tx.get(table::texts, key);
  if (!bytes)
    return std::move(bytes.error());
  auto text = decode_text(*bytes, key);
  if (!text)
    return damaged(tx, std::move(text.error()));
  return text;
}

caf::expected<std::vector<std::string>> find_candidate_hashes(const txn& tx, std::string_view prefix,
                                                              std::size_t limit) {
  std::vector<std::string> out;
  auto err =
      tx.for_each(table::candidates, prefix, [&](std::string_view key, std::string_view) -> caf::error {
        if (out.size() < limit)
          out.emplace_back(key);
        return caf::none;
      });
  if (err)
    return err;
  return out;
}

caf::expected<llm_call_record> get_llm_call(const txn& tx, std::string_view request_hash) {
  if (auto err = check_id("request hash", request_hash))
    return err;
  return get_record<llm_call_record>(tx, table::llm_calls, request_hash);
}

caf::expected<std::vector<llm_call_record>> list_llm_calls(const txn& tx, std::string_view campaign) {
  std::vector<llm_call_record> out;
  auto err =
      tx.for_each(table::llm_calls, {}, [&](std::string_view key, std::string_view value) -> caf::error {
        llm_call_record rec;
        if (auto e = decode(value, table::llm_calls, key, rec))
          return damaged(tx, std::move(e));
        if (campaign.empty() || rec.campaign == campaign)
          out.push_back(std::move(rec));
        return caf::none;
      });
  if (err)
    return err;
  return out;
}

caf::error put_meta(write_txn& tx, std::string_view key, std::string_view value) {
  if (auto err = check_id("meta key", key))
    return err;
  auto bytes = encode_string(value);
  if (!bytes)
    return std::move(bytes.error());
  return tx.put(table::meta, key, *bytes);
}

caf::expected<std::string> get_meta(const txn& tx, std::string_view key) {
  if (auto err = check_id("meta key", key))
    return err;
  return get_record<std::string>(tx, table::meta, key);
}

caf::error put_verdict_ref(write_txn& tx, std::string_view verdict_key, std::string_view candidate_hash) {
  if (auto err = check_id("verdict key", verdict_key))
    return err;
  if (auto err = check_id("candidate hash", candidate_hash))
    return err;
  auto bytes = encode_string(candidate_hash);
  if (!bytes)
    return std::move(bytes.error());
  return tx.put(table::verdicts, verdict_key, *bytes);
}

caf::expected<std::string> get_verdict_ref(const txn& tx, std::string_view verdict_key) {
  if (auto err = check_id("verdict key", verdict_key))
    return err;
  return get_record<std::string>(tx, table::verdicts, verdict_key);
}

std::string reference_key(std::string_view signature, std::string_view device, std::string_view task_id) {
  content_hasher h;
  h.add("reference").add(signature).add(device).add(task_id);
  return h.finish();
}

caf::error put_reference(write_txn& tx, const reference_record& rec) {
  if (auto err = check_id("task id", rec.task_id))
    return err;
  if (auto err = check_id("device", rec.device))
    return err;
  auto header = encode(rec);
  if (!header)
    return std::move(header.error());
  // version u64be(size) header-json data: the outputs stay raw bytes, not JSON numbers.
  std::string value;
  value.reserve(header->size() + 8 + rec.data.size());
  value.push_back(header->front());
  append_u64be(value, header->size() - 1);
  value.append(*header, 1, std::string::npos);
  value += rec.data;
  return tx.put(table::references, reference_key(rec.signature, rec.device, rec.task_id), value);
}

caf::expected<reference_record> get_reference(const txn& tx, std::string_view signature,
                                              std::string_view device, std::string_view task_id) {
  auto key = reference_key(signature, device, task_id);
  auto bytes = tx.get(table::references, key);
  if (!bytes)
    return std::move(bytes.error());
  auto rec = decode_reference(*bytes, key);
  if (!rec)
    return damaged(tx, std::move(rec.error()));
  return rec;
}

caf::expected<reference_record> decode_reference_header(std::string_view head, std::size_t size,
                                                        std::string_view key) {
  if (size < 9 || head.size() < 9 || read_u64be(head.substr(1)) > size - 9)
    return make_error(errc::store_corrupt,
                      "decode table=references key=" + printable_key(key) + ": the value is cut short");
  auto header_size = static_cast<std::size_t>(read_u64be(head.substr(1)));
  if (head.size() < 9 + header_size)
    return make_error(errc::not_found, "the header of references key=" + printable_key(key) +
                                           " is longer than the bytes read");
  std::string header;
  header.push_back(head.front());
  header.append(head.substr(9, header_size));
  reference_record rec;
  if (auto err = decode(header, table::references, key, rec))
    return err;
  return rec;
}

caf::expected<reference_record> decode_reference(std::string_view value, std::string_view key,
                                                 bool with_data) {
  auto rec = decode_reference_header(value, value.size(), key);
  if (!rec)
    return rec;
  if (with_data)
    rec->data.assign(value.substr(9 + static_cast<std::size_t>(read_u64be(value.substr(1)))));
  return rec;
}

}  // namespace kforge::memory
