#include "hardware/kernelbench/harness.hpp"

#include "hardware/kernelbench/python_sources.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <exception>
#include <optional>

namespace kforge::hardware {

namespace {

// What the KernelBench harness's records mean: one JSON result, nothing else.
class kernelbench_rules final : public record_rules {
 public:
  std::string take(uint32_t type, uint32_t index, std::string_view payload) override {
    if (static_cast<record_type>(type) != record_type::json_result)
      return "unknown record type " + std::to_string(type);
    if (index != 0)
      return "index " + std::to_string(index) + " is out of range";
    if (json_)
      return "a second result record";
    json_ = std::string{payload};
    return {};
  }

  bool complete() const override { return json_.has_value(); }

  std::string take_json() { return std::move(*json_); }

 private:
  std::optional<std::string> json_;
};

using json = nlohmann::json;

caf::error bad_field(const std::string& key, const std::string& why) {
  return make_error(errc::io_failed, "reported a bad result: field '" + key + "' " + why);
}

// Reads an optional string field; a field of another type is a bad result.
caf::error read_string(const json& j, const char* key, std::string& out, bool* present = nullptr) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return {};
  if (!it->is_string())
    return bad_field(key, "is a " + std::string{it->type_name()} + ", not a string");
  out = it->get<std::string>();
  if (present != nullptr)
    *present = true;
  return {};
}

caf::error read_bool(const json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return {};
  if (!it->is_boolean())
    return bad_field(key, "is a " + std::string{it->type_name()} + ", not a boolean");
  out = it->get<bool>();
  return {};
}

caf::error read_times(const json& j, std::vector<uint64_t>& out) {
  auto it = j.find("times_ms");
  if (it == j.end() || it->is_null())
    return {};
  if (!it->is_array())
    return bad_field("times_ms", "is a " + std::string{it->type_name()} + ", not a list");
  for (const auto& t : *it) {
    if (!t.is_number())
      return bad_field("times_ms", "holds a " + std::string{t.type_name()} + ", not a number");
    auto ms = t.get<double>();
    if (!std::isfinite(ms) || ms < 0 || ms > 1e9)
      return bad_field("times_ms", "holds " + t.dump() + ", not a time in milliseconds");
    out.push_back(static_cast<uint64_t>(std::llround(ms * 1e6)));
  }
  return {};
}

caf::expected<kernelbench_result> decode(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(errc::io_failed, "reported no JSON result");
  kernelbench_result r;
  if (auto it = j.find("error"); it != j.end()) {
    r.has_error = true;
    r.error = it->is_string() ? it->get<std::string>() : it->dump();
  }
  if (auto err = read_string(j, "traceback", r.traceback))
    return err;
  if (auto err = read_bool(j, "built", r.built))
    return err;
  if (auto err = read_bool(j, "correct", r.correct))
    return err;
  if (auto err = read_string(j, "detail", r.detail, &r.has_detail))
    return err;
  if (auto it = j.find("max_abs_error"); it != j.end() && it->is_number()) {
    auto e = it->get<double>();
    r.max_abs_error = std::isfinite(e) ? e : 0.0;
  }
  if (auto err = read_times(j, r.times_ns))
    return err;
  if (auto err = read_string(j, "device_name", r.device_name))
    return err;
  if (auto err = read_string(j, "bypass", r.bypass))
    return err;
  return r;
}

}  // namespace

std::string kernelbench_harness_source() {
  return std::string{harness_py()};
}

caf::expected<std::string> parse_kernelbench_channel(std::string_view bytes, const run_nonce& nonce) {
  kernelbench_rules rules;
  auto end = parse_records(bytes, nonce, rules);
  if (!end)
    return std::move(end.error());
  return rules.take_json();
}

caf::expected<kernelbench_result> decode_kernelbench_result(std::string_view json_text) {
  // The boundary: nothing nlohmann might still throw (a dump of odd text) leaves this call.
  try {
    return decode(json_text);
  } catch (const std::exception& e) {
    return make_error(errc::io_failed, std::string{"reported a bad result: "} + e.what());
  }
}

}  // namespace kforge::hardware
