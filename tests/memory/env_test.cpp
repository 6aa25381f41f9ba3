#include "memory/env.hpp"

#include "memory/schema.hpp"
#include "runtime/base/error.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace kforge;
using namespace kforge::memory;

namespace {

env open_env(const std::filesystem::path& dir, std::size_t map_size = std::size_t{1} << 20U) {
  env_options opts;
  opts.map_size_bytes = map_size;
  opts.no_sync = true;
  auto opened = env::open(dir, opts);
  REQUIRE(opened);
  return std::move(*opened);
}

std::vector<std::string> keys_with_prefix(const txn& tx, table t, std::string_view prefix) {
  std::vector<std::string> keys;
  const auto err = tx.for_each(t, prefix, [&](std::string_view key, std::string_view) -> caf::error {
    keys.emplace_back(key);
    return caf::none;
  });
  REQUIRE(!err);
  return keys;
}

}  // namespace

TEST_CASE("big-endian key integers sort in numeric order", "[memory]") {
  const std::vector<uint64_t> values = {0, 1, 255, 256, 65535, 65536, (uint64_t{1} << 32U) + 7, ~uint64_t{0}};
  std::string previous;
  for (const auto v : values) {
    std::string bytes;
    append_u64be(bytes, v);
    REQUIRE(bytes.size() == 8);
    CHECK(read_u64be(bytes) == v);
    CHECK(previous < bytes);
    previous = bytes;
  }
  CHECK(task_candidate_key("c", "t", 258) == std::string("c\0t\0\0\0\0\0\0\0\x01\x02", 12));
  CHECK(printable_key(std::string("c\0t\x01", 4)) == "c/t\\x01");
}

TEST_CASE("a committed write is visible and an uncommitted one leaves nothing", "[memory]") {
  test::temp_dir dir{"env"};
  auto e = open_env(dir.path() / "db");
  {
    auto tx = e.begin_write();
    REQUIRE(tx);
    REQUIRE(!tx->put(table::meta, "kept", "1"));
    REQUIRE(!tx->commit());
    CHECK(!tx->is_open());
    const auto again = tx->commit();
    CHECK(code_of(again) == errc::store_failed);
  }
  {
    auto tx = e.begin_write();
    REQUIRE(tx);
    REQUIRE(!tx->put(table::meta, "dropped", "2"));
    REQUIRE(!tx->put(table::meta, "kept", "changed"));
    auto inside = tx->get(table::meta, "dropped");
    REQUIRE(inside);
    CHECK(*inside == "2");
    // destroyed without commit
  }
  {
    auto tx = e.begin_write();
    REQUIRE(tx);
    REQUIRE(!tx->put(table::meta, "aborted", "3"));
    tx->abort();
    CHECK(!tx->is_open());
    CHECK(code_of(tx->put(table::meta, "x", "y")) == errc::store_failed);
  }
  auto rtx = e.begin_read();
  REQUIRE(rtx);
  auto kept = rtx->get(table::meta, "kept");
  REQUIRE(kept);
  CHECK(*kept == "1");
  CHECK(code_of(rtx->get(table::meta, "dropped").error()) == errc::not_found);
  CHECK(code_of(rtx->get(table::meta, "aborted").error()) == errc::not_found);
  auto has = rtx->contains(table::meta, "dropped");
  REQUIRE(has);
  CHECK(!*has);
  auto n = rtx->entries(table::meta);
  REQUIRE(n);
  CHECK(*n == 1);
}

TEST_CASE("prefix iteration visits exactly the keys with the prefix in byte order", "[memory]") {
  test::temp_dir dir{"env"};
  auto e = open_env(dir.path() / "db");
  {
    auto tx = e.begin_write();
    REQUIRE(tx);
    for (const std::string& key : {std::string("b"), std::string("a\0y", 3), std::string("ab"),
                                   std::string("a\0x", 3), std::string("a"), std::string("a\0", 2)}) {
      REQUIRE(!tx->put(table::tasks, key, "v:" + key));
    }
    // The write transaction sees its own writes.
    CHECK(keys_with_prefix(*tx, table::tasks, std::string("a\0", 2)).size() == 3);
    REQUIRE(!tx->commit());
  }
  auto rtx = e.begin_read();
  REQUIRE(rtx);
  CHECK(keys_with_prefix(*rtx, table::tasks, std::string("a\0", 2)) ==
        std::vector<std::string>{std::string("a\0", 2), std::string("a\0x", 3), std::string("a\0y", 3)});
  CHECK(keys_with_prefix(*rtx, table::tasks, "a").size() == 5);
  CHECK(keys_with_prefix(*rtx, table::tasks, "").size() == 6);
  CHECK(keys_with_prefix(*rtx, table::tasks, "zz").empty());
  CHECK(keys_with_prefix(*rtx, table::candidates, "").empty());
  SECTION("the visitor gets the value and its error stops the scan") {
    int visited = 0;
    const auto err = rtx->for_each(table::tasks, "a", [&](std::string_view key, std::string_view value) {
      ++visited;
      CHECK(value == "v:" + std::string{key});
      return visited == 2 ? make_error(errc::cancelled, "stop") : caf::error{};
    });
    CHECK(code_of(err) == errc::cancelled);
    CHECK(visited == 2);
  }
}

TEST_CASE("MAP_FULL is reported as store_map_full and grow_map lets the same write succeed", "[memory]") {
  test::temp_dir dir{"env"};
  auto e = open_env(dir.path() / "db", std::size_t{1} << 20U);
  const std::size_t before = e.map_size();
  const std::string big(64 * 1024, 'x');
  auto write_event = [&]() -> caf::error {
    auto tx = e.begin_write();
    REQUIRE(tx);
    for (int i = 0; i < 24; ++i) {
      if (auto err = tx->put(table::candidates, "cand-" + std::to_string(i), big)) {
        CHECK(!tx->is_open());
        return err;
      }
    }
    return tx->commit();
  };
  const auto err = write_event();
  REQUIRE(err);
  CHECK(code_of(err) == errc::store_map_full);
  CHECK(describe(err).find("MDB_MAP_FULL") != std::string::npos);
  CHECK(describe(err).find("table=candidates") != std::string::npos);
  {
    auto rtx = e.begin_read();
    REQUIRE(rtx);
    CHECK(*rtx->entries(table::candidates) == 0);
    // No remap while a transaction is open: it gives up after the wait.
    CHECK(code_of(e.grow_map(2.0, std::chrono::milliseconds{20})) == errc::store_failed);
    CHECK(e.map_size() == before);
  }
  CHECK(code_of(e.grow_map(1.0)) == errc::store_failed);
  REQUIRE(!e.grow_map(4.0));
  CHECK(e.map_size() >= 4 * before);
  REQUIRE(!write_event());
  auto rtx = e.begin_read();
  REQUIRE(rtx);
  CHECK(*rtx->entries(table::candidates) == 24);
}

TEST_CASE("grow_map waits for a reader of another thread to finish", "[memory]") {
  test::temp_dir dir{"env"};
  auto e = open_env(dir.path() / "db");
  const std::size_t before = e.map_size();
  auto reader = e.begin_read();
  REQUIRE(reader);
  auto grown = std::async(std::launch::async, [&] { return e.grow_map(2.0, std::chrono::seconds{30}); });
  // Give the grower time to start waiting; the result is the same if it starts later.
  CHECK(grown.wait_for(std::chrono::milliseconds{50}) == std::future_status::timeout);
  reader->close();
  CHECK(!grown.get());
  CHECK(e.map_size() >= 2 * before);
  auto after = e.begin_read();
  REQUIRE(after);
}

TEST_CASE("a snapshot taken while a write transaction is open holds exactly the committed records",
          "[memory]") {
  test::temp_dir dir{"env"};
  auto e = open_env(dir.path() / "db");
  {
    auto tx = e.begin_write();
    REQUIRE(tx);
    REQUIRE(!tx->put(table::memory, "committed", "1"));
    REQUIRE(!tx->commit());
  }
  auto tx = e.begin_write();
  REQUIRE(tx);
  REQUIRE(!tx->put(table::memory, "pending", "2"));
  const auto snap = dir.path() / "snap";
  caf::error snap_err;
  // Another thread takes the snapshot, as an API request would while the curator writes.
  std::thread taker{[&] { snap_err = e.snapshot_to(snap); }};
  taker.join();
  REQUIRE(!snap_err);
  REQUIRE(!tx->commit());

  auto copy = open_env(snap);
  auto rtx = copy.begin_read();
  REQUIRE(rtx);
  CHECK(rtx->contains(table::memory, "committed").value());
  CHECK(!rtx->contains(table::memory, "pending").value());
  auto live = e.begin_read();
  REQUIRE(live);
  CHECK(live->contains(table::memory, "pending").value());
}

TEST_CASE("a snapshot refuses a directory that is not empty", "[memory]") {
  test::temp_dir dir{"env"};
  auto e = open_env(dir.path() / "db");
  const auto target = dir.path() / "snap";
  std::filesystem::create_directories(target);
  std::ofstream{target / "other.txt"} << "x";
  const auto err = e.snapshot_to(target);
  CHECK(code_of(err) == errc::io_failed);
  SECTION("an empty directory is fine") {
    const auto empty = dir.path() / "empty";
    std::filesystem::create_directories(empty);
    CHECK(!e.snapshot_to(empty));
    CHECK(code_of(e.snapshot_to(empty)) == errc::io_failed);
  }
}

TEST_CASE("an environment moves with its open transactions intact", "[memory]") {
  test::temp_dir dir{"env"};
  auto first = open_env(dir.path() / "db");
  auto tx = first.begin_write();
  REQUIRE(tx);
  env second = std::move(first);
  REQUIRE(!tx->put(table::meta, "k", "v"));
  REQUIRE(!tx->commit());
  auto rtx = second.begin_read();
  REQUIRE(rtx);
  CHECK(rtx->get(table::meta, "k").value() == "v");
  rtx->close();
  CHECK(!rtx->is_open());
  CHECK(code_of(first.begin_read().error()) == errc::store_failed);
  CHECK(second.path() == dir.path() / "db");
}
