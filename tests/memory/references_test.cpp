// Table `references`: a task's prepared reference per build signature and device, its raw data
// framed beside a JSON header (schema.hpp).

#include "memory/store.hpp"

#include "memory/schema.hpp"
#include "memory/store_check.hpp"
#include "runtime/base/error.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <string>

using namespace kforge;
using namespace kforge::memory;
using kforge::test::temp_store;

namespace {

reference_record sample_reference(const std::string& definition) {
  reference_record r;
  r.task_id = "softmax_256x1000";
  r.device = "cpu";
  r.signature = "sig-1";
  r.reference_hash = definition;
  r.timing.median_ns = 1021.5;
  r.timing.count = 40;
  r.timing.converged = true;
  r.created_ms = 1700000000000;
  // Raw bytes, zero bytes and high bytes included: floats are not text.
  r.data = std::string("\0\x01\xff\x80 outputs \0", 13) + std::string(5000, '\x7f');
  return r;
}

void put(store& st, const reference_record& r) {
  auto tx = st.write();
  REQUIRE(tx);
  REQUIRE(!put_reference(*tx, r));
  REQUIRE(!tx->commit());
}

}  // namespace

TEST_CASE_METHOD(temp_store, "a reference round-trips with its raw data and survives a reopen", "[memory]") {
  auto r = sample_reference("def-1");
  put(store(), r);
  reopen();
  auto tx = store().read();
  REQUIRE(tx);
  auto got = get_reference(*tx, "sig-1", "cpu", "softmax_256x1000");
  REQUIRE(got);
  CHECK(got->task_id == r.task_id);
  CHECK(got->device == "cpu");
  CHECK(got->signature == "sig-1");
  CHECK(got->reference_hash == "def-1");
  CHECK(got->timing.median_ns == 1021.5);
  CHECK(got->timing.count == 40);
  CHECK(got->timing.converged);
  CHECK(got->created_ms == r.created_ms);
  CHECK(got->data == r.data);
}

TEST_CASE_METHOD(temp_store,
                 "a task has one reference per signature and device; a new definition replaces it",
                 "[memory]") {
  put(store(), sample_reference("def-1"));
  auto other_device = sample_reference("def-1");
  other_device.device = "cuda:0";
  put(store(), other_device);
  put(store(), sample_reference("def-2"));  // the task's definition changed
  auto tx = store().read();
  REQUIRE(tx);
  CHECK(get_reference(*tx, "sig-1", "cpu", "softmax_256x1000")->reference_hash == "def-2");
  CHECK(get_reference(*tx, "sig-1", "cuda:0", "softmax_256x1000")->reference_hash == "def-1");
  auto entries = tx->entries(table::references);
  REQUIRE(entries);
  CHECK(*entries == 2);
  auto missing = get_reference(*tx, "sig-2", "cpu", "softmax_256x1000");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == errc::not_found);
}

TEST_CASE_METHOD(temp_store, "a cut-short reference value is store_corrupt naming the table", "[memory]") {
  auto key = reference_key("sig-1", "cpu", "t1");
  for (std::string value : {std::string{"\x01"}, std::string("\x01\0\0\0\0\0\0\0\xff{}", 11)}) {
    auto tx = store().write();
    REQUIRE(tx);
    REQUIRE(!tx->put(table::references, key, value));
    REQUIRE(!tx->commit());
    auto rtx = store().read();
    REQUIRE(rtx);
    auto got = get_reference(*rtx, "sig-1", "cpu", "t1");
    REQUIRE_FALSE(got);
    CHECK(code_of(got.error()) == errc::store_corrupt);
    CHECK_THAT(describe(got.error()), Catch::Contains("table=references"));
  }
}

TEST_CASE_METHOD(temp_store, "a reference without a task id or device is refused", "[memory]") {
  auto r = sample_reference("def-1");
  r.device.clear();
  auto tx = store().write();
  REQUIRE(tx);
  auto err = put_reference(*tx, r);
  CHECK(code_of(err) == errc::bad_request);
}

namespace {

// Resident kB of the process's mappings of `file` (/proc/self/smaps), or -1 if none is mapped.
long resident_kb_of(const std::string& file) {
  std::ifstream in{"/proc/self/smaps"};
  std::string line;
  bool inside = false;
  long kb = -1;
  while (std::getline(in, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
        line.find('-') != std::string::npos && line.find(' ') != std::string::npos) {
      inside = line.size() >= file.size() && line.compare(line.size() - file.size(), file.size(), file) == 0;
      if (inside && kb < 0)
        kb = 0;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      kb += std::stol(line.substr(4));
    }
  }
  return kb;
}

// `count` cached references of 512 KiB each, for tasks task0, task1, ...
void put_half_mib_references(store& s, int count) {
  for (int i = 0; i < count; ++i) {
    auto r = sample_reference("def-1");
    r.task_id = "task" + std::to_string(i);
    r.data = std::string(std::size_t{512} << 10U, static_cast<char>('a' + i % 26));
    put(s, r);
  }
}

struct big_store : temp_store {
  big_store() : temp_store(std::size_t{64} << 20U) {}
};

struct huge_store : temp_store {
  huge_store() : temp_store(std::size_t{256} << 20U) {}
};

}  // namespace

TEST_CASE_METHOD(big_store, "a reference's megabytes leave the resident set once read", "[memory]") {
  auto r = sample_reference("def-1");
  r.data = std::string(std::size_t{6} << 20U, '\x5a');  // 6 MiB of outputs
  put(store(), r);
  reopen();
  store().release_resident();
  const auto file = (store_path() / "data.mdb").string();
  auto tx = store().read();
  REQUIRE(tx);
  auto got = get_reference(*tx, "sig-1", "cpu", "softmax_256x1000");
  REQUIRE(got);
  CHECK(got->data == r.data);
  auto kb = resident_kb_of(file);
  REQUIRE(kb >= 0);
  INFO("resident kB of " << file << " after reading 6 MiB from it: " << kb);
  CHECK(kb < 1024);  // the B-tree's few pages, not the value's 1,536 pages
}

TEST_CASE_METHOD(big_store, "release_resident drops the map's pages that reads brought in", "[memory]") {
  put_half_mib_references(store(), 8);  // 4 MiB, each below the size released as it is read
  reopen();
  const auto file = (store_path() / "data.mdb").string();
  {
    auto tx = store().read();
    REQUIRE(tx);
    for (int i = 0; i < 8; ++i)
      REQUIRE(get_reference(*tx, "sig-1", "cpu", "task" + std::to_string(i)));
  }
  auto before = resident_kb_of(file);
  INFO("resident kB of the map after reading 4 MiB: " << before);
  CHECK(before >= 4096);
  CHECK(store().release_resident() > 0);
  auto after = resident_kb_of(file);
  INFO("after release_resident: " << after);
  CHECK(after < 256);
}

TEST_CASE_METHOD(huge_store, "a check of the whole store keeps its resident set bounded as it reads",
                 "[memory]") {
  put_half_mib_references(store(), 160);  // 80 MiB of values below the size released as each is read
  reopen();
  store().release_resident();
  const auto file = (store_path() / "data.mdb").string();
  auto tx = store().read();
  REQUIRE(tx);
  CHECK_FALSE(check_records(*tx, reference_pages::read));  // touches every page of every value
  auto kb = resident_kb_of(file);
  INFO("resident kB of the map after a check that read 80 MiB: " << kb);
  CHECK(kb < 40 * 1024);  // at most the last 64 MiB window is left, here 16 MiB
}
