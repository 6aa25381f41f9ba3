// Walks the grammar in memory/schema.hpp and the JSON that memory/codec.cpp writes, so that the
// documented layout of the store and the real one cannot drift apart.
#include "memory/schema.hpp"

#include "memory/codec.hpp"
#include "tests/memory/sample_records.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

using namespace kforge;
using namespace kforge::memory;
using nlohmann::json;

namespace {

/// One field of a grammar rule: its type text ("str", "[gate_result]", ...) and whether it is required.
struct field_rule {
  std::string type;
  bool required = false;
};

using grammar = std::map<std::string, std::map<std::string, field_rule>>;

/// The rules `name = {"field": type, ...}` of schema.hpp's header comment, continuation lines joined.
grammar read_grammar() {
  std::ifstream in{std::string{KFORGE_SOURCE_DIR} + "/memory/schema.hpp"};
  REQUIRE(in);
  std::string text;
  std::string line;
  // The grammar is the comment block that opens the file, before its first #include.
  while (std::getline(in, line) && line.rfind("#include", 0) != 0)
    if (line.rfind("//", 0) == 0)
      text += line.substr(2) + "\n";
  grammar out;
  std::regex rule{R"(([a-z_]+)\s*=\s*\{([^}]*)\})"};
  std::regex field{R"re("([a-z_0-9]+)":\s*([a-z_0-9\[\]]+)(!?))re"};
  for (std::sregex_iterator it{text.begin(), text.end(), rule}, end; it != end; ++it) {
    auto& fields = out[(*it)[1]];
    std::string body = (*it)[2];
    for (std::sregex_iterator f{body.begin(), body.end(), field}; f != end; ++f)
      fields[(*f)[1]] = field_rule{(*f)[2], (*f)[3] == "!"};
  }
  return out;
}

/// The JSON object of an encoded value (after its version byte).
json body_of(const caf::expected<std::string>& bytes) {
  REQUIRE(bytes);
  REQUIRE(bytes->size() > 1);
  return json::parse(bytes->substr(1));
}

void check_value(const grammar& g, const std::string& type, const json& v, const std::string& where);

void check_object(const grammar& g, const std::string& rule, const json& obj, const std::string& where) {
  INFO(where);
  REQUIRE(g.count(rule) == 1);
  REQUIRE(obj.is_object());
  const auto& fields = g.at(rule);
  std::set<std::string> written;
  for (const auto& [key, value] : obj.items()) {
    written.insert(key);
    INFO("the codec writes " << rule << "." << key);
    CHECK(fields.count(key) == 1);  // a field the grammar does not name
    if (fields.count(key) == 0)
      continue;
    check_value(g, fields.at(key).type, value, where + "." + key);
  }
  for (const auto& [name, f] : fields) {
    INFO("the grammar names " << rule << "." << name << " but the codec does not write it");
    CHECK(written.count(name) == 1);
  }
}

void check_value(const grammar& g, const std::string& type, const json& v, const std::string& where) {
  INFO(where << " should be " << type << ", is " << v.dump());
  if (type == "str") {
    CHECK(v.is_string());
  } else if (type == "i64" || type == "i32" || type == "u64") {
    CHECK(v.is_number_integer());
  } else if (type == "f64") {
    CHECK((v.is_number() || (v.is_string() && (v == "nan" || v == "inf" || v == "-inf"))));
  } else if (type == "bool") {
    CHECK(v.is_boolean());
  } else if (type.size() > 2 && type.front() == '[' && type.back() == ']') {
    REQUIRE(v.is_array());
    for (const auto& item : v)
      check_value(g, type.substr(1, type.size() - 2), item, where + "[]");
  } else {
    check_object(g, type, v, where);
  }
}

/// Decoding `obj` with `field` removed fails exactly when the grammar marks the field required.
template <class Record>
void check_required(const grammar& g, const std::string& rule, const json& obj, table t) {
  for (const auto& [name, f] : g.at(rule)) {
    json without = obj;
    without.erase(name);
    std::string bytes = std::string(1, static_cast<char>(schema_version)) + without.dump();
    Record out;
    auto err = decode(bytes, t, "k", out);
    INFO(rule << "." << name << (f.required ? " is marked required (!)" : " is optional"));
    CHECK(static_cast<bool>(err) == f.required);
  }
}

}  // namespace

TEST_CASE("The store grammar in schema.hpp names exactly the fields the codec writes", "[memory]") {
  auto g = read_grammar();
  REQUIRE(g.size() >= 9);

  auto candidate = test::sample_candidate();
  candidate.verdict.timing.count = 100;
  auto task = test::sample_task();
  auto campaign = test::sample_campaign();
  auto item = test::sample_memory_item();
  auto call = test::sample_llm_call();

  SECTION("campaign_record") {
    auto obj = body_of(encode_json(campaign));
    check_object(g, "campaign_record", obj, "campaign");
    check_required<campaign_record>(g, "campaign_record", obj, table::campaigns);
  }
  SECTION("task_record") {
    auto obj = body_of(encode_json(task));
    check_object(g, "task_record", obj, "task");
    check_required<task_record>(g, "task_record", obj, table::tasks);
  }
  SECTION("candidate_record with its verdict, gates, timing and knobs") {
    REQUIRE_FALSE(candidate.verdict.gates.empty());
    REQUIRE_FALSE(candidate.knobs.empty());
    auto obj = body_of(encode_json(candidate));
    check_object(g, "candidate_record", obj, "candidate");
    check_required<candidate_record>(g, "candidate_record", obj, table::candidates);
  }
  SECTION("memory_item") {
    auto obj = body_of(encode_json(item));
    check_object(g, "memory_item", obj, "item");
    check_required<memory_item>(g, "memory_item", obj, table::memory);
  }
  SECTION("llm_call_record") {
    auto obj = body_of(encode(call));
    check_object(g, "llm_call_record", obj, "call");
    check_required<llm_call_record>(g, "llm_call_record", obj, table::llm_calls);
  }
}
