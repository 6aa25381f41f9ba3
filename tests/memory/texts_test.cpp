// Prompts on record: table `texts` (content-addressed, compressed when long) and the
// llm_calls fields that point into it.
#include "memory/codec.hpp"
#include "memory/store.hpp"
#include "memory/store_check.hpp"
#include "memory/text_codec.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "tests/memory/sample_records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/temp_store.hpp"

#include <lmdb.h>

#include <catch2/catch.hpp>

#include <string>

using namespace kforge;
using namespace kforge::memory;
using kforge::test::temp_store;

namespace {

/// A prompt-like text of about `bytes` bytes: repetitive, as prompts are.
std::string long_prompt(std::size_t bytes) {
  std::string out;
  for (int i = 0; out.size() < bytes; ++i)
    out += "Technique " + std::to_string(i % 17) + ": unroll the inner loop and keep the row in registers.\n";
  return out;
}

/// A candidate of task "t" whose source is `head` followed by `tail`.
candidate_record rendered(char id, int64_t seq, const std::string& head, const std::string& tail) {
  auto rec = test::sample_candidate(std::string(64, id), "camp-1", "t", seq);
  rec.source = head + tail;
  return rec;
}

llm_call_record call_with_prompt(const std::string& hash, const std::string& system,
                                 const std::string& user) {
  auto rec = test::sample_llm_call(hash);
  rec.system_text.clear();
  rec.user_text.clear();
  rec.system_prompt = system;
  rec.user_prompt = user;
  return rec;
}

}  // namespace

TEST_CASE("the prompt keys of a call survive encoding and the prompts themselves are not in the value",
          "[memory]") {
  auto rec = test::sample_llm_call();
  rec.system_prompt = "SYSTEM-PROMPT-TEXT";
  rec.user_prompt = "USER-PROMPT-TEXT";
  auto bytes = encode(rec);
  REQUIRE(bytes);
  CHECK(bytes->find("SYSTEM-PROMPT-TEXT") == std::string::npos);
  CHECK(bytes->find("USER-PROMPT-TEXT") == std::string::npos);
  auto back = decode_as<llm_call_record>(*bytes, table::llm_calls, rec.request_hash);
  REQUIRE(back);
  CHECK(back->system_text == rec.system_text);
  CHECK(back->user_text == rec.user_text);
  CHECK(back->system_prompt.empty());
  CHECK(back->user_prompt.empty());
}

TEST_CASE("texts are stored as is when short and compressed when long, and decode unchanged", "[memory]") {
  SECTION("short") {
    const std::string text = "a short prompt";
    auto bytes = encode_text(text);
    REQUIRE(bytes);
    CHECK((*bytes)[1] == text_plain);
    CHECK(decode_text(*bytes, "k").value() == text);
  }
  SECTION("long") {
    const std::string text = long_prompt(64 * 1024);
    auto bytes = encode_text(text);
    REQUIRE(bytes);
    CHECK((*bytes)[1] == text_deflated);
    INFO("stored " << bytes->size() << " bytes of " << text.size());
    CHECK(bytes->size() * 4 < text.size());
    CHECK(decode_text(*bytes, "k").value() == text);
  }
  SECTION("empty") {
    auto bytes = encode_text("");
    REQUIRE(bytes);
    CHECK(decode_text(*bytes, "k").value().empty());
  }
  SECTION("corrupt values are store_corrupt naming the key") {
    auto bytes = encode_text(long_prompt(4096)).value();
    auto cut = bytes.substr(0, bytes.size() / 2);
    auto bad = decode_text(cut, "abc");
    REQUIRE_FALSE(bad);
    CHECK(code_of(bad.error()) == errc::store_corrupt);
    CHECK(describe(bad.error()).find("key=abc") != std::string::npos);
    std::string unknown = bytes;
    unknown[1] = 'q';
    CHECK(code_of(decode_text(unknown, "k").error()) == errc::store_corrupt);
    CHECK(code_of(decode_text(std::string(1, '\1'), "k").error()) == errc::store_corrupt);
  }
}

TEST_CASE_METHOD(temp_store, "calls store their prompts once per distinct text, in the call's transaction",
                 "[memory]") {
  const std::string system = long_prompt(8 * 1024);
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE_FALSE(put_llm_call(*tx, call_with_prompt(std::string(64, 'a'), system, "user prompt one")));
    REQUIRE_FALSE(put_llm_call(*tx, call_with_prompt(std::string(64, 'b'), system, "user prompt two")));
    // A failed call keeps its prompt too (its key carries the /failed/ suffix).
    REQUIRE_FALSE(
        put_llm_call(*tx, call_with_prompt(std::string(64, 'a') + "/failed/5/1", system, "user prompt one")));
    REQUIRE_FALSE(tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  // One system text shared by the three calls, two user texts.
  CHECK(tx->entries(table::texts).value() == 3);
  auto a = get_llm_call(*tx, std::string(64, 'a')).value();
  auto b = get_llm_call(*tx, std::string(64, 'b')).value();
  auto failed = get_llm_call(*tx, std::string(64, 'a') + "/failed/5/1").value();
  CHECK(a.system_text == sha256_hex(system));
  CHECK(a.system_text == b.system_text);
  CHECK(a.user_text != b.user_text);
  CHECK(failed.user_text == a.user_text);
  CHECK(a.system_prompt.empty());  // a plain read does not load the texts
  REQUIRE_FALSE(load_prompt(*tx, b));
  CHECK(b.system_prompt == system);
  CHECK(b.user_prompt == "user prompt two");
  // The long system prompt is stored compressed.
  CHECK(tx->get(table::texts, a.system_text).value().size() * 4 < system.size());
}

TEST_CASE_METHOD(temp_store, "a call whose prompt text is missing names the call and the key", "[memory]") {
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE_FALSE(put_llm_call(*tx, test::sample_llm_call()));  // keys point at texts never stored
    REQUIRE_FALSE(tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  auto rec = get_llm_call(*tx, test::sample_llm_call().request_hash).value();
  auto err = load_prompt(*tx, rec);
  REQUIRE(err);
  CHECK(code_of(err) == errc::not_found);
  CHECK(describe(err).find(std::string(64, 's')) != std::string::npos);
}

TEST_CASE("a store written before table texts existed opens and reads its calls without prompts",
          "[memory]") {
  test::temp_dir dir{"old-store"};
  const auto path = dir.path() / "store";
  std::filesystem::create_directories(path);
  // The tables of the older layout, written with LMDB directly: every table but texts.
  auto old_call = test::sample_llm_call();
  old_call.system_text.clear();
  old_call.user_text.clear();
  {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    REQUIRE(mdb_env_set_maxdbs(env, 16) == 0);
    REQUIRE(mdb_env_open(env, path.c_str(), 0, 0600) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    for (const char* name :
         {"campaigns", "tasks", "candidates", "task_candidates", "memory", "llm_calls", "meta", "verdicts"}) {
      MDB_dbi dbi = 0;
      REQUIRE(mdb_dbi_open(txn, name, MDB_CREATE, &dbi) == 0);
      auto put = [&](const std::string& key, const std::string& value) {
        MDB_val k{key.size(), const_cast<char*>(key.data())};
        MDB_val v{value.size(), const_cast<char*>(value.data())};
        REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
      };
      if (std::string{name} == "meta")
        put("schema_version", encode_string("1").value());
      if (std::string{name} == "llm_calls")
        put(old_call.request_hash, encode(old_call).value());
    }
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
  auto st = store::open(path);
  REQUIRE(st);
  auto tx = st->read();
  REQUIRE(tx);
  CHECK(tx->entries(table::texts).value() == 0);
  auto rec = get_llm_call(*tx, old_call.request_hash).value();
  REQUIRE_FALSE(load_prompt(*tx, rec));
  CHECK(rec.system_prompt.empty());
  CHECK(rec.user_prompt.empty());
}

TEST_CASE_METHOD(temp_store,
                 "sources that end with their task's template keep it once in texts and read whole",
                 "[memory]") {
  const std::string templ = long_prompt(3000);
  const shared_tail tail{sha256_hex(templ), templ};
  const auto a = rendered('a', 0, "#define VEC 4\n", templ);
  const auto b = rendered('b', 1, "#define VEC 8\n", templ);
  const auto model = rendered('c', 2, "// a model's kernel, not the template\n", long_prompt(2500) + "}\n");
  const std::string short_templ = "void k() {}\n";
  const shared_tail short_tail{sha256_hex(short_templ), short_templ};
  const auto small = rendered('d', 3, "#define VEC 1\n", short_templ);
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE_FALSE(put_candidate(*tx, a, &tail));
    REQUIRE_FALSE(put_candidate(*tx, b, &tail));
    REQUIRE_FALSE(put_candidate(*tx, model, &tail));        // does not end with it: stored whole
    REQUIRE_FALSE(put_candidate(*tx, small, &short_tail));  // below shared_tail_min: stored whole
    auto claimed = rendered('e', 4, "x", templ);
    claimed.source_tail = tail.key;  // the store's field, not the caller's
    auto refused = put_candidate(*tx, claimed, &tail);
    REQUIRE(refused);
    CHECK(code_of(refused) == errc::bad_request);
    REQUIRE_FALSE(tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  CHECK(tx->entries(table::texts).value() == 1);  // the template, once
  CHECK(tx->contains(table::texts, tail.key).value());
  // The rendered candidates' values hold their defines and fields, not the template.
  for (const auto& rec : {a, b})
    CHECK(tx->get(table::candidates, rec.hash).value().size() < 1024);
  CHECK(tx->get(table::candidates, model.hash).value().size() > 2500);
  for (const auto& want : {a, b, model, small}) {
    auto got = get_candidate(*tx, want.hash).value();
    CHECK(got.source == want.source);
    CHECK(got.source_tail.empty());
  }
  auto listed = list_candidates(*tx, "camp-1", "t").value();
  REQUIRE(listed.size() == 4);
  CHECK(listed[0].source == a.source);
  CHECK(listed[1].source == b.source);
  CHECK(listed[2].source == model.source);
  for (const auto& t : check_tables(*tx))
    CHECK(t.failed.empty());
}

TEST_CASE_METHOD(temp_store,
                 "a candidate whose template text is gone is store_corrupt, and store check names it",
                 "[memory]") {
  const std::string templ = long_prompt(2000);
  const shared_tail tail{sha256_hex(templ), templ};
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE_FALSE(put_candidate(*tx, rendered('a', 0, "#define VEC 4\n", templ), &tail));
    REQUIRE_FALSE(tx->erase(table::texts, tail.key));
    REQUIRE_FALSE(tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  auto got = get_candidate(*tx, std::string(64, 'a'));
  REQUIRE_FALSE(got);
  CHECK(code_of(got.error()) == errc::store_corrupt);
  CHECK(describe(got.error()).find("is not in table texts") != std::string::npos);
  auto listed = list_candidates(*tx, "camp-1", "t");
  REQUIRE_FALSE(listed);
  CHECK(code_of(listed.error()) == errc::store_corrupt);
  std::size_t candidate_failures = 0;
  std::size_t index_failures = 0;
  for (const auto& t : check_tables(*tx)) {
    if (t.t == table::candidates) {
      candidate_failures = t.failed.size();
      REQUIRE(t.failed.size() == 1);
      CHECK(t.failed[0].reason.find(tail.key) != std::string::npos);
    }
    if (t.t == table::task_candidates)
      index_failures = t.failed.size();  // its index entry points at a candidate that does not read
  }
  CHECK(candidate_failures == 1);
  CHECK(index_failures == 1);
}
