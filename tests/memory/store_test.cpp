#include "memory/store.hpp"

#include "memory/codec.hpp"
#include "memory/schema.hpp"
#include "runtime/base/error.hpp"
#include "tests/memory/sample_records.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using namespace kforge;
using namespace kforge::memory;
using kforge::test::check_same;
using kforge::test::temp_store;

namespace {

std::string hash_of(int i) {
  std::string h = std::to_string(i);
  return std::string(64 - h.size(), '0') + h;
}

/// Writes one campaign with two tasks, candidates, memory items, a call and a meta value.
void write_sample_campaign(store& st) {
  auto tx = st.write();
  REQUIRE(tx);
  REQUIRE(!put_campaign(*tx, test::sample_campaign("camp-1")));
  REQUIRE(!put_task(*tx, test::sample_task("camp-1", "softmax")));
  REQUIRE(!put_task(*tx, test::sample_task("camp-1", "gemm")));
  REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(1), "camp-1", "softmax", 0)));
  REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(2), "camp-1", "softmax", 1)));
  REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(3), "camp-1", "gemm", 0)));
  REQUIRE(!put_memory(*tx, test::sample_memory_item("mem-1")));
  REQUIRE(!put_memory(*tx, test::sample_memory_item("mem-2")));
  REQUIRE(!put_llm_call(*tx, test::sample_llm_call()));
  REQUIRE(!put_meta(*tx, "peak/cpu/gflops", "812.5"));
  REQUIRE(!tx->commit());
}

void check_sample_campaign(store& st) {
  auto tx = st.read();
  REQUIRE(tx);
  check_same(get_campaign(*tx, "camp-1").value(), test::sample_campaign("camp-1"));
  check_same(get_task(*tx, "camp-1", "gemm").value(), test::sample_task("camp-1", "gemm"));
  check_same(get_candidate(*tx, hash_of(2)).value(),
             test::sample_candidate(hash_of(2), "camp-1", "softmax", 1));
  check_same(get_memory(*tx, "mem-2").value(), test::sample_memory_item("mem-2"));
  check_same(get_llm_call(*tx, test::sample_llm_call().request_hash).value(), test::sample_llm_call());
  CHECK(get_meta(*tx, "peak/cpu/gflops").value() == "812.5");
  CHECK(list_tasks(*tx, "camp-1").value().size() == 2);
  CHECK(list_candidates(*tx, "camp-1", "softmax").value().size() == 2);
  CHECK(count_candidates(*tx, "camp-1").value() == 3);
  CHECK(list_memory(*tx).value().size() == 2);
}

}  // namespace

TEST_CASE_METHOD(temp_store, "every record type round-trips through the store", "[memory]") {
  write_sample_campaign(store());
  check_sample_campaign(store());
  auto tx = store().read();
  REQUIRE(tx);
  CHECK(has_candidate(*tx, hash_of(1)).value());
  CHECK(!has_candidate(*tx, hash_of(9)).value());
  CHECK(code_of(get_candidate(*tx, hash_of(9)).error()) == errc::not_found);
  CHECK(code_of(get_campaign(*tx, "nope").error()) == errc::not_found);
  CHECK(code_of(get_task(*tx, "camp-1", "nope").error()) == errc::not_found);
  CHECK(code_of(get_meta(*tx, "nope").error()) == errc::not_found);
  const auto campaigns = list_campaigns(*tx);
  REQUIRE(campaigns);
  REQUIRE(campaigns->size() == 1);
  CHECK(campaigns->front().id == "camp-1");
}

TEST_CASE_METHOD(temp_store, "the candidate index lists a task's candidates in seq order", "[memory]") {
  const std::vector<int64_t> seqs = {256, 3, 65536, 0, 255, 1, 4294967296};
  {
    auto tx = store().write();
    REQUIRE(tx);
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(static_cast<int>(i)), "c1", "t", seqs[i])));
    }
    // Neighbouring campaigns and tasks whose ids share a prefix stay apart.
    REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(100), "c10", "t", 2)));
    REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(101), "c1", "t2", 2)));
    REQUIRE(!put_task(*tx, test::sample_task("c1", "t")));
    REQUIRE(!put_task(*tx, test::sample_task("c10", "t")));
    REQUIRE(!tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  const auto listed = list_candidates(*tx, "c1", "t");
  REQUIRE(listed);
  std::vector<int64_t> order;
  for (const auto& c : *listed)
    order.push_back(c.seq);
  CHECK(order == std::vector<int64_t>{0, 1, 3, 255, 256, 65536, 4294967296});
  CHECK(count_candidates(*tx, "c1").value() == 8);
  CHECK(count_candidates(*tx, "c10").value() == 1);
  CHECK(count_candidates(*tx, "c").value() == 0);
  CHECK(list_candidates(*tx, "c1", "t2").value().size() == 1);
  CHECK(list_tasks(*tx, "c1").value().size() == 1);
  CHECK(list_tasks(*tx, "c10").value().size() == 1);
  CHECK(list_tasks(*tx, "none").value().empty());
}

TEST_CASE_METHOD(temp_store, "put_candidate keeps the index consistent", "[memory]") {
  auto tx = store().write();
  REQUIRE(tx);
  REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(1), "c", "t", 0)));
  SECTION("a taken seq is refused and nothing is written") {
    const auto err = put_candidate(*tx, test::sample_candidate(hash_of(2), "c", "t", 0));
    CHECK(code_of(err) == errc::bad_request);
    CHECK(tx->is_open());
    CHECK(!has_candidate(*tx, hash_of(2)).value());
  }
  SECTION("rewriting a candidate with a new seq moves its index entry") {
    REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(1), "c", "t", 5)));
    const auto listed = list_candidates(*tx, "c", "t").value();
    REQUIRE(listed.size() == 1);
    CHECK(listed.front().seq == 5);
  }
  SECTION("rewriting with the same seq is an update") {
    auto rec = test::sample_candidate(hash_of(1), "c", "t", 0);
    rec.reward = 0.5;
    REQUIRE(!put_candidate(*tx, rec));
    CHECK(get_candidate(*tx, hash_of(1)).value().reward == 0.5);
    CHECK(count_candidates(*tx, "c").value() == 1);
  }
  SECTION("bad ids and a negative seq are refused") {
    CHECK(code_of(put_candidate(*tx, test::sample_candidate(hash_of(3), "c", "t", -1))) == errc::bad_request);
    CHECK(code_of(put_candidate(*tx, test::sample_candidate(hash_of(3), std::string("c\0d", 3), "t", 1))) ==
          errc::bad_request);
    CHECK(code_of(put_task(*tx, test::sample_task("c", ""))) == errc::bad_request);
    CHECK(code_of(get_memory(*tx, "").error()) == errc::bad_request);
  }
}

TEST_CASE_METHOD(temp_store, "a write transaction dropped before commit leaves nothing", "[memory]") {
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE(!put_campaign(*tx, test::sample_campaign("camp-1")));
    REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(1), "camp-1", "t", 0)));
  }
  reopen();
  auto tx = store().read();
  REQUIRE(tx);
  CHECK(list_campaigns(*tx).value().empty());
  CHECK(!has_candidate(*tx, hash_of(1)).value());
  CHECK(count_candidates(*tx, "camp-1").value() == 0);
}

TEST_CASE_METHOD(temp_store, "a full map fails the whole event and succeeds after grow_map", "[memory]") {
  auto write_event = [&]() -> caf::error {
    auto tx = store().write();
    REQUIRE(tx);
    for (int i = 0; i < 20; ++i) {
      auto rec = test::sample_candidate(hash_of(i), "c", "t", i);
      rec.source = std::string(64 * 1024, 'k');
      if (auto err = put_candidate(*tx, rec))
        return err;
    }
    auto task = test::sample_task("c", "t");
    task.evaluations = 20;
    if (auto err = put_task(*tx, task))
      return err;
    return tx->commit();
  };
  const auto err = write_event();
  CHECK(code_of(err) == errc::store_map_full);
  {
    auto tx = store().read();
    REQUIRE(tx);
    CHECK(count_candidates(*tx, "c").value() == 0);
    CHECK(code_of(get_task(*tx, "c", "t").error()) == errc::not_found);
  }
  REQUIRE(!store().grow_map(4.0));
  REQUIRE(!write_event());
  auto tx = store().read();
  REQUIRE(tx);
  CHECK(count_candidates(*tx, "c").value() == 20);
  CHECK(get_task(*tx, "c", "t").value().evaluations == 20);
}

TEST_CASE_METHOD(temp_store, "a corrupt stored value reads as store_corrupt naming table and key",
                 "[memory]") {
  write_sample_campaign(store());
  const std::string v1(1, static_cast<char>(schema_version));
  std::string value;
  std::string problem;
  SECTION("wrong version byte") {
    value = std::string(1, '\x07') + "{}";
    problem = "unknown schema version 7";
  }
  SECTION("bad JSON") {
    value = v1 + "{\"hash\": ";
    problem = "parse error";
  }
  SECTION("missing required field") {
    value = v1 + R"({"campaign":"camp-1","task_id":"softmax","seq":1})";
    problem = "missing field hash";
  }
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE(!tx->put(table::candidates, hash_of(2), value));
    REQUIRE(!tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  for (const auto& err :
       {get_candidate(*tx, hash_of(2)).error(), list_candidates(*tx, "camp-1", "softmax").error()}) {
    CHECK(code_of(err) == errc::store_corrupt);
    const auto text = describe(err);
    INFO(text);
    CHECK(text.find("table=candidates") != std::string::npos);
    CHECK(text.find("key=" + hash_of(2)) != std::string::npos);
    CHECK(text.find(problem) != std::string::npos);
  }
  // The other records still read.
  CHECK(get_candidate(*tx, hash_of(1)));
}

TEST_CASE_METHOD(temp_store, "an index entry without its candidate is store_corrupt", "[memory]") {
  write_sample_campaign(store());
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE(!tx->erase(table::candidates, hash_of(2)));
    REQUIRE(!tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  const auto listed = list_candidates(*tx, "camp-1", "softmax");
  REQUIRE(!listed);
  CHECK(code_of(listed.error()) == errc::store_corrupt);
  CHECK(describe(listed.error()).find("table=task_candidates key=camp-1/softmax/") != std::string::npos);
}

TEST_CASE_METHOD(temp_store, "reopening the store keeps every committed record", "[memory]") {
  write_sample_campaign(store());
  reopen();
  check_sample_campaign(store());
  reopen();
  check_sample_campaign(store());
}

TEST_CASE_METHOD(temp_store, "a snapshot taken during a write holds the committed state and reopens",
                 "[memory]") {
  write_sample_campaign(store());
  auto tx = store().write();
  REQUIRE(tx);
  REQUIRE(!put_candidate(*tx, test::sample_candidate(hash_of(50), "camp-1", "softmax", 2)));
  REQUIRE(!put_campaign(*tx, test::sample_campaign("camp-2")));
  const auto snap = scratch_path("snap");
  caf::error snap_err;
  std::thread taker{[&] { snap_err = store().snapshot(snap); }};
  taker.join();
  REQUIRE(!snap_err);
  REQUIRE(!tx->commit());
  {
    auto copy = store::open(snap, options());
    REQUIRE(copy);
    check_sample_campaign(*copy);
    auto rtx = copy->read();
    REQUIRE(rtx);
    CHECK(!has_candidate(*rtx, hash_of(50)).value());
    CHECK(list_campaigns(*rtx).value().size() == 1);
  }
  auto live = store().read();
  REQUIRE(live);
  CHECK(has_candidate(*live, hash_of(50)).value());
  CHECK(count_candidates(*live, "camp-1").value() == 4);
  CHECK(code_of(store().snapshot(snap)) == errc::io_failed);
}

TEST_CASE_METHOD(temp_store, "the store records its schema version and refuses a newer one", "[memory]") {
  {
    auto tx = store().read();
    REQUIRE(tx);
    CHECK(get_meta(*tx, meta_schema_version).value() == std::to_string(schema_version));
  }
  std::string value;
  SECTION("a newer version number") {
    value = encode_string(std::to_string(schema_version + 1)).value();
  }
  SECTION("a newer version byte") {
    value = std::string(1, static_cast<char>(schema_version + 1)) + "\"1\"";
  }
  SECTION("an unreadable version") {
    value = encode_string("one").value();
  }
  {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE(!tx->put(table::meta, meta_schema_version, value));
    REQUIRE(!tx->commit());
  }
  close();
  const auto reopened = store::open(store_path(), options());
  REQUIRE(!reopened);
  CHECK(code_of(reopened.error()) == errc::store_corrupt);
  CHECK(describe(reopened.error()).find("schema_version") != std::string::npos);
}

TEST_CASE_METHOD(temp_store, "for_each_memory visits items in id order and stops on an error", "[memory]") {
  {
    auto tx = store().write();
    REQUIRE(tx);
    for (const char* id : {"m3", "m1", "m2"})
      REQUIRE(!put_memory(*tx, test::sample_memory_item(id)));
    REQUIRE(!tx->commit());
  }
  auto tx = store().read();
  REQUIRE(tx);
  std::vector<std::string> ids;
  const auto err = for_each_memory(*tx, [&](memory_item&& item) {
    ids.push_back(std::move(item.id));
    return caf::error{};
  });
  CHECK(!err);
  CHECK(ids == std::vector<std::string>{"m1", "m2", "m3"});
  ids.clear();
  const auto stop = for_each_memory(*tx, [&](memory_item&& item) {
    ids.push_back(item.id);
    return make_error(errc::cancelled, "enough");
  });
  CHECK(code_of(stop) == errc::cancelled);
  CHECK(ids.size() == 1);
}
