#include "memory/codec.hpp"

#include "runtime/base/error.hpp"
#include "tests/memory/sample_records.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace kforge;
using namespace kforge::memory;
using kforge::test::check_same;

namespace {

/// A value with the current version byte and `json` as text.
std::string versioned(const std::string& json) {
  return std::string(1, static_cast<char>(schema_version)) + json;
}

template <class Record>
Record round_trip(const Record& rec, table t) {
  auto bytes = encode(rec);
  REQUIRE(bytes);
  REQUIRE(!bytes->empty());
  CHECK(static_cast<unsigned char>(bytes->front()) == schema_version);
  auto back = decode_as<Record>(*bytes, t, "k");
  REQUIRE(back);
  return *back;
}

}  // namespace

TEST_CASE("every record type survives encoding and decoding unchanged", "[memory]") {
  SECTION("campaign") {
    const auto rec = test::sample_campaign();
    check_same(round_trip(rec, table::campaigns), rec);
  }
  SECTION("task, with an infinite double") {
    const auto rec = test::sample_task();
    check_same(round_trip(rec, table::tasks), rec);
  }
  SECTION("candidate, with verdict, gates, timing, knobs, NaN and a zero byte in the source") {
    const auto rec = test::sample_candidate();
    check_same(round_trip(rec, table::candidates), rec);
  }
  SECTION("memory item") {
    const auto rec = test::sample_memory_item();
    check_same(round_trip(rec, table::memory), rec);
  }
  SECTION("llm call") {
    const auto rec = test::sample_llm_call();
    check_same(round_trip(rec, table::llm_calls), rec);
  }
  SECTION("plain string") {
    auto bytes = encode_string("hello \"world\"");
    REQUIRE(bytes);
    auto back = decode_as<std::string>(*bytes, table::meta, "k");
    REQUIRE(back);
    CHECK(*back == "hello \"world\"");
  }
  SECTION("default-constructed records") {
    check_same(round_trip(candidate_record{}, table::candidates), candidate_record{});
    check_same(round_trip(task_record{}, table::tasks), task_record{});
  }
}

TEST_CASE("JSON encoding replaces invalid UTF-8 instead of failing; the compact form keeps it", "[memory]") {
  auto call = test::sample_llm_call();
  call.response = "truncated \xe2\x82";
  CHECK(round_trip(call, table::llm_calls).response == "truncated \xef\xbf\xbd");
  auto rec = test::sample_candidate();
  rec.verdict.gates[1].detail = "truncated \xe2\x82";
  CHECK(round_trip(rec, table::candidates).verdict.gates[1].detail == "truncated \xe2\x82");
  auto json = encode_json(rec);
  REQUIRE(json);
  auto back = decode_as<candidate_record>(*json, table::candidates, "k");
  REQUIRE(back);
  CHECK(back->verdict.gates[1].detail == "truncated \xef\xbf\xbd");
}

TEST_CASE("absent optional fields take their defaults and unknown fields are ignored", "[memory]") {
  auto task = decode_as<task_record>(versioned(R"({"campaign":"c","task_id":"t","future_field":[1,2]})"),
                                     table::tasks, "c/t");
  REQUIRE(task);
  CHECK(task->campaign == "c");
  CHECK(task->phase == "draft");
  CHECK(task->evaluations == 0);
  auto cand = decode_as<candidate_record>(
      versioned(R"({"hash":"h","campaign":"c","task_id":"t","seq":3,"verdict":{"feasible":true}})"),
      table::candidates, "h");
  REQUIRE(cand);
  CHECK(cand->seq == 3);
  CHECK(cand->verdict.feasible);
  CHECK(cand->verdict.gates.empty());
  CHECK(cand->verdict.timing.count == 0);
  auto call = decode_as<llm_call_record>(versioned(R"({"request_hash":"r"})"), table::llm_calls, "r");
  REQUIRE(call);
  CHECK(call->attempts == 1);
}

TEST_CASE("a value that does not decode is store_corrupt naming the table, the key and the problem",
          "[memory]") {
  const std::string key{"camp\0task", 9};
  auto expect_corrupt = [&](const std::string& value, const std::string& problem) {
    task_record out;
    out.family = "untouched";
    const auto err = decode(value, table::tasks, key, out);
    REQUIRE(err);
    CHECK(code_of(err) == errc::store_corrupt);
    const auto text = describe(err);
    INFO(text);
    CHECK(text.find("table=tasks") != std::string::npos);
    CHECK(text.find("key=camp/task") != std::string::npos);
    CHECK(text.find(problem) != std::string::npos);
    CHECK(out.family == "untouched");
  };
  SECTION("empty value") {
    expect_corrupt("", "empty value");
  }
  SECTION("version byte 0") {
    expect_corrupt(std::string(1, '\0') + "{}", "unknown schema version 0");
  }
  SECTION("version byte newer than this build") {
    expect_corrupt(
        std::string(1, static_cast<char>(schema_version + 1)) + R"({"campaign":"c","task_id":"t"})",
        "unknown schema version " + std::to_string(schema_version + 1));
  }
  SECTION("bad JSON") {
    expect_corrupt(versioned(R"({"campaign": "c", )"), "parse error");
  }
  SECTION("trailing garbage") {
    expect_corrupt(versioned(R"({"campaign":"c","task_id":"t"} x)"), "parse error");
  }
  SECTION("not an object") {
    expect_corrupt(versioned("[1,2]"), "value: expected object, got array");
  }
  SECTION("missing required field") {
    expect_corrupt(versioned(R"({"campaign":"c"})"), "missing field task_id");
  }
  SECTION("string where an integer belongs") {
    expect_corrupt(versioned(R"({"campaign":"c","task_id":"t","step":"7"})"), "field step: expected integer");
  }
  SECTION("fraction where an integer belongs") {
    expect_corrupt(versioned(R"({"campaign":"c","task_id":"t","step":1.5})"), "field step: expected integer");
  }
  SECTION("integer out of range") {
    expect_corrupt(versioned(R"({"campaign":"c","task_id":"t","step":18446744073709551615})"),
                   "out of range");
  }
  SECTION("unknown string where a double belongs") {
    expect_corrupt(versioned(R"({"campaign":"c","task_id":"t","reward_mean":"fast"})"),
                   "field reward_mean: expected number");
  }
}

TEST_CASE("nested fields with the wrong type name their path", "[memory]") {
  candidate_record out;
  const auto value = versioned(
      R"({"hash":"h","campaign":"c","task_id":"t","seq":0,"verdict":{"gates":[{"gate":"x"},{"passed":1}]}})");
  const auto err = decode(value, table::candidates, "h", out);
  REQUIRE(err);
  CHECK(code_of(err) == errc::store_corrupt);
  CHECK(describe(err).find("field verdict.gates[1].passed: expected boolean, got number") !=
        std::string::npos);
  campaign_record campaign;
  const auto err2 = decode(versioned(R"({"id":"c","seed":-1})"), table::campaigns, "c", campaign);
  CHECK(code_of(err2) == errc::store_corrupt);
  CHECK(describe(err2).find("field seed: expected non-negative integer") != std::string::npos);
}
