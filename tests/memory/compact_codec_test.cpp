// The compact form of the records a campaign writes per evaluation (memory/binary_codec.hpp):
// what it keeps, how it evolves, and what every kind of damage reads as.
#include "memory/binary_codec.hpp"
#include "memory/codec.hpp"
#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "tests/memory/sample_records.hpp"
#include "tests/support/temp_store.hpp"

#include <zlib.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

using namespace kforge;
using namespace kforge::memory;
using kforge::test::check_same;

namespace {

// A struct as an older build knew it (two fields) and as a newer one will (four).
struct old_shape {
  std::string name;
  int64_t count = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, old_shape& x) {
  return f(caf::meta::type_name("old_shape"), x.name, x.count);
}
struct new_shape {
  std::string name;
  int64_t count = 0;
  double weight = 2.5;
  std::vector<std::string> tags{"default"};
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, new_shape& x) {
  return f(caf::meta::type_name("new_shape"), x.name, x.count, x.weight, x.tags);
}

template <class T>
std::string write(T x) {
  std::string out;
  detail::binary_writer w{out};
  inspect(w, x);
  return out;
}

template <class T>
std::string read(std::string_view bytes, T& x) {
  detail::binary_reader r{bytes};
  inspect(r, x);
  if (r.ok() && !r.at_end())
    r.fail("trailing bytes");
  return r.problem();
}

/// Rewrites a compact value's checksum after a deliberate edit, so that the reader itself is
/// what meets the damage.
std::string reseal(std::string value) {
  value.resize(value.size() - 4);
  const auto crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(value.data() + 1), static_cast<uInt>(value.size() - 1)));
  for (unsigned shift = 0; shift < 32; shift += 8)
    value.push_back(static_cast<char>((crc >> shift) & 0xffU));
  return value;
}

std::string corrupt_reason(const std::string& value) {
  candidate_record out;
  out.task_id = "untouched";
  auto err = decode(value, table::candidates, "k", out);
  REQUIRE(err);
  CHECK(code_of(err) == errc::store_corrupt);
  CHECK(out.task_id == "untouched");
  return describe(err);
}

}  // namespace

TEST_CASE("The compact form is smaller than JSON and keeps every byte, infinities and NaN", "[memory]") {
  auto cand = test::sample_candidate();
  cand.source = std::string(4000, 'x') + "\"\\\n\t" + std::string(1, '\0') + "\xff\xfe";
  auto compact = encode(cand);
  auto json = encode_json(cand);
  REQUIRE(compact);
  REQUIRE(json);
  CHECK(compact->size() < json->size());
  CHECK(static_cast<unsigned char>((*compact)[0]) == schema_version);
  auto back = decode_as<candidate_record>(*compact, table::candidates, "k");
  REQUIRE(back);
  check_same(*back, cand);
  CHECK(back->source == cand.source);

  auto task = test::sample_task();
  task.best_latency_ns = -std::numeric_limits<double>::infinity();
  task.final_rounds = std::numeric_limits<int32_t>::min();
  task.step = std::numeric_limits<int64_t>::min();
  task.updated_ms = std::numeric_limits<int64_t>::max();
  auto task_back = decode_as<task_record>(encode(task).value(), table::tasks, "k");
  REQUIRE(task_back);
  check_same(*task_back, task);
}

TEST_CASE("Values written as JSON, by schema version 1 or by encode_json, still decode", "[memory]") {
  const auto cand = test::sample_candidate();
  auto json = encode_json(cand);
  REQUIRE(json);
  auto v1 = *json;
  v1[0] = '\x01';
  for (const auto& value : {*json, v1}) {
    auto back = decode_as<candidate_record>(value, table::candidates, "k");
    REQUIRE(back);
    CHECK(back->source == cand.source);
    CHECK(back->verdict.gates.size() == cand.verdict.gates.size());
  }
  // A compact value under version 1 was never written: it is damage, not a format.
  auto compact = encode(cand).value();
  compact[0] = '\x01';
  CHECK_THAT(corrupt_reason(compact), Catch::Contains("under schema version 1"));
}

TEST_CASE("A compact struct with fewer fields takes defaults; one with more is refused", "[memory]") {
  new_shape from_old;
  CHECK(read(write(old_shape{"gemm", 7}), from_old).empty());
  CHECK(from_old.name == "gemm");
  CHECK(from_old.count == 7);
  CHECK(from_old.weight == 2.5);
  CHECK(from_old.tags == std::vector<std::string>{"default"});

  old_shape from_new;
  from_new.name = "untouched";
  const auto problem = read(write(new_shape{"gemm", 7, 1.0, {"a"}}), from_new);
  CHECK_THAT(problem,
             Catch::Contains("4 fields where this build knows 2") && Catch::Contains("newer kforge"));
}

TEST_CASE("Every damage to a compact value is store_corrupt and says what it found", "[memory]") {
  const auto good = encode(test::sample_candidate()).value();
  SECTION("a flipped byte inside a string fails the checksum") {
    auto bad = good;
    bad[good.size() / 2] = static_cast<char>(bad[good.size() / 2] ^ 0x20);
    CHECK_THAT(corrupt_reason(bad),
               Catch::Contains("checksum mismatch") && Catch::Contains("table=candidates"));
  }
  SECTION("truncated") {
    CHECK_THAT(corrupt_reason(good.substr(0, good.size() - 9)), Catch::Contains("checksum mismatch"));
    CHECK_THAT(corrupt_reason(reseal(good.substr(0, good.size() - 9))),
               Catch::Contains("truncated") || Catch::Contains("bytes are left"));
    CHECK_THAT(corrupt_reason(good.substr(0, 3)), Catch::Contains("compact value of 3 bytes"));
  }
  SECTION("bytes after the record") {
    auto longer = good;
    longer.insert(longer.size() - 4, "zz");
    CHECK_THAT(corrupt_reason(reseal(longer)), Catch::Contains("2 bytes after the record"));
  }
  SECTION("a length larger than the value is refused before anything is allocated") {
    // field count, then the hash's length: make it 2^62.
    std::string value = good.substr(0, 3);
    value += "\x80\x80\x80\x80\x80\x80\x80\x80\x40";
    value += std::string(4, '\0');
    CHECK_THAT(corrupt_reason(reseal(value)), Catch::Contains("string length of 4611686018427387904"));
  }
  SECTION("another record's value") {
    auto item = encode(test::sample_memory_item()).value();
    CHECK_THAT(corrupt_reason(item), Catch::Contains("another record's"));
  }
  SECTION("a bool byte that is neither 0 nor 1, an integer past 32 bits") {
    timing_stats t;
    t.converged = true;
    auto bytes = write(t);
    bytes.back() = '\x02';  // noisy, the last field
    timing_stats out;
    CHECK_THAT(read(bytes, out), Catch::Contains("bool byte 2"));
    std::string wide;
    detail::binary_writer w{wide};
    w.put_varint(5);                  // five fields: median, min, mean, stddev, count
    wide.append(32, '\0');            // four doubles
    w.put_varint(uint64_t{1} << 40);  // count, zigzag: 2^39
    CHECK_THAT(read(wide, out), Catch::Contains("32-bit integer out of range"));
  }
}

TEST_CASE("A writable open of a version 1 store records version 2; a read-only open leaves it", "[memory]") {
  test::temp_store fixture;
  {
    auto tx = fixture.store().write();
    REQUIRE(tx);
    std::string v1 = encode_string("1").value();
    v1[0] = '\x01';
    REQUIRE_FALSE(tx->put(table::meta, meta_schema_version, v1));
    REQUIRE_FALSE(tx->commit());
  }
  fixture.close();
  auto version_of = [&](bool read_only) {
    env_options opts = fixture.options();
    opts.read_only = read_only;
    auto s = store::open(fixture.store_path(), opts);
    REQUIRE(s);
    auto tx = s->read();
    REQUIRE(tx);
    return get_meta(*tx, meta_schema_version).value();
  };
  CHECK(version_of(true) == "1");
  CHECK(version_of(false) == std::to_string(schema_version));
  CHECK(version_of(true) == std::to_string(schema_version));
}

TEST_CASE("Random damage behind a valid checksum never reads past the value nor throws", "[memory]") {
  // The reader meets the damage itself (the checksum is made to match): truncations, flipped
  // bytes and inserted bytes anywhere, 3,000 of them from a fixed seed.
  const auto good = encode(test::sample_candidate()).value();
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    state ^= state << 13U;
    state ^= state >> 7U;
    state ^= state << 17U;
    return state;
  };
  int decoded = 0;
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string body = good.substr(0, good.size() - 4);
    const auto at = 2 + next() % (body.size() - 2);
    switch (next() % 3) {
      case 0:
        body.resize(at);
        break;
      case 1:
        body[at] = static_cast<char>(next());
        break;
      default:
        body.insert(at, 1 + next() % 9, static_cast<char>(next()));
        break;
    }
    body.append(4, '\0');
    candidate_record out;
    auto err = decode(reseal(body), table::candidates, "k", out);
    if (err) {
      CHECK(code_of(err) == errc::store_corrupt);
      ++refused;
    } else {
      ++decoded;  // a byte inside a string or a number: still a record
    }
  }
  CHECK(refused > 1000);
  CHECK(decoded + refused == 3000);
}
