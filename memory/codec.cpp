#include "memory/codec.hpp"

#include "memory/compact_codec.hpp"
#include "runtime/base/error.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <utility>
#include <vector>

namespace kforge::memory {

namespace {

using json = nlohmann::json;

/// The one place where nlohmann exceptions are caught and turned into errors.
template <class Body>
caf::error json_boundary(errc code, const std::string& context, Body&& body) {
  try {
    return std::forward<Body>(body)();
  } catch (const std::exception& e) {  // nlohmann's exceptions derive from it
    return make_error(code, context + ": " + e.what());
  } catch (...) {
    return make_error(code, context + ": unknown exception");
  }
}

// ---- encoding --------------------------------------------------------------------------

/// JSON has no NaN or infinity; they are written as strings.
json f64(double value) {
  if (std::isfinite(value))
    return value;
  if (std::isnan(value))
    return "nan";
  return value > 0 ? "inf" : "-inf";
}

json to_value(const kforge::gate_result& g) {
  return json{{"gate", g.gate}, {"passed", g.passed}, {"detail", g.detail}};
}

json to_value(const kforge::timing_stats& t) {
  return json{{"median_ns", f64(t.median_ns)}, {"min_ns", f64(t.min_ns)}, {"mean_ns", f64(t.mean_ns)},
              {"stddev_ns", f64(t.stddev_ns)}, {"count", t.count},        {"ci_half_ns", f64(t.ci_half_ns)},
              {"converged", t.converged},      {"noisy", t.noisy}};
}

json to_value(const kforge::verdict& v) {
  json gates = json::array();
  for (const auto& g : v.gates)
    gates.push_back(to_value(g));
  return json{{"feasible", v.feasible},
              {"failed_gate", v.failed_gate},
              {"gates", std::move(gates)},
              {"timing", to_value(v.timing)},
              {"max_abs_error", f64(v.max_abs_error)},
              {"compile_ms", f64(v.compile_ms)},
              {"run_ms", f64(v.run_ms)},
              {"device", v.device},
              {"reference_ns", f64(v.reference_ns)},
              {"flagged", v.flagged},
              {"first_timing", to_value(v.first_timing)},
              {"timings_disagree", v.timings_disagree}};
}

json to_value(const campaign_record& r) {
  return json{{"id", r.id},
              {"config_path", r.config_path},
              {"config_hash", r.config_hash},
              {"config_text", r.config_text},
              {"status", r.status},
              {"seed", r.seed},
              {"evaluations", r.evaluations},
              {"created_ms", r.created_ms},
              {"updated_ms", r.updated_ms},
              {"wall_ms", f64(r.wall_ms)}};
}

json to_value(const task_record& r) {
  return json{{"campaign", r.campaign},
              {"task_id", r.task_id},
              {"definition_hash", r.definition_hash},
              {"family", r.family},
              {"backend", r.backend},
              {"phase", r.phase},
              {"stop_reason", r.stop_reason},
              {"best_hash", r.best_hash},
              {"best_latency_ns", f64(r.best_latency_ns)},
              {"best_ci_ns", f64(r.best_ci_ns)},
              {"reference_latency_ns", f64(r.reference_latency_ns)},
              {"evaluations", r.evaluations},
              {"feasible", r.feasible},
              {"step", r.step},
              {"since_improvement", r.since_improvement},
              {"reward_count", r.reward_count},
              {"reward_mean", f64(r.reward_mean)},
              {"reward_m2", f64(r.reward_m2)},
              {"updated_ms", r.updated_ms},
              {"final_hash", r.final_hash},
              {"final_reference_ns", f64(r.final_reference_ns)},
              {"final_latency_ns", f64(r.final_latency_ns)},
              {"final_rounds", r.final_rounds},
              {"final_detail", r.final_detail}};
}

json to_value(const candidate_record& r) {
  json knobs = json::array();
  for (const auto& k : r.knobs)
    knobs.push_back(json{{"name", k.name}, {"value", k.value}});
  return json{{"hash", r.hash},
              {"campaign", r.campaign},
              {"task_id", r.task_id},
              {"seq", r.seq},
              {"source", r.source},
              {"parents", r.parents},
              {"stage", r.stage},
              {"policy", r.policy},
              {"model", r.model},
              {"context_ids", r.context_ids},
              {"knobs", std::move(knobs)},
              {"optimization", r.optimization},
              {"verdict", to_value(r.verdict)},
              {"speedup_vs_ref", f64(r.speedup_vs_ref)},
              {"speedup_vs_parent", f64(r.speedup_vs_parent)},
              {"reward", f64(r.reward)},
              {"perf_state", r.perf_state},
              {"device", r.device},
              {"created_ms", r.created_ms},
              {"technique", r.technique},
              {"call_id", r.call_id},
              {"source_tail", r.source_tail}};
}

json to_value(const memory_item& r) {
  return json{{"id", r.id},
              {"kind", r.kind},
              {"family", r.family},
              {"state", r.state},
              {"tags", r.tags},
              {"text", r.text},
              {"payload", r.payload},
              {"q1", f64(r.q1)},
              {"q2", f64(r.q2)},
              {"visits1", r.visits1},
              {"visits2", r.visits2},
              {"source_tasks", r.source_tasks},
              {"created_ms", r.created_ms},
              {"updated_ms", r.updated_ms},
              {"samples", r.samples},
              {"mean_speedup", f64(r.mean_speedup)},
              {"feasible_samples", r.feasible_samples},
              {"retired", r.retired}};
}

json to_value(const llm_call_record& r) {
  return json{{"request_hash", r.request_hash},
              {"campaign", r.campaign},
              {"task_id", r.task_id},
              {"endpoint", r.endpoint},
              {"model", r.model},
              {"tokens_in", r.tokens_in},
              {"tokens_out", r.tokens_out},
              {"latency_ms", f64(r.latency_ms)},
              {"cost", f64(r.cost)},
              {"outcome", r.outcome},
              {"attempts", r.attempts},
              {"response", r.response},
              {"created_ms", r.created_ms},
              {"stage", r.stage},
              {"errors", r.errors},
              {"choice", r.choice},
              {"kernels", r.kernels},
              {"usable", r.usable},
              {"system_text", r.system_text},
              {"user_text", r.user_text}};
}

json to_value(const reference_record& r) {  // the header: `data` is framed apart (reference_codec)
  return json{{"task_id", r.task_id},         {"device", r.device},
              {"signature", r.signature},     {"reference_hash", r.reference_hash},
              {"timing", to_value(r.timing)}, {"created_ms", r.created_ms}};
}

json to_value(std::string_view text) {
  return json(std::string{text});
}

template <class Record>
caf::expected<std::string> encode_json_value(const Record& rec) {
  std::string out;
  auto err = json_boundary(errc::internal, "encode", [&]() -> caf::error {
    const json value = to_value(rec);
    out.push_back(static_cast<char>(schema_version));
    out += value.dump(-1, ' ', false, json::error_handler_t::replace);
    return caf::none;
  });
  if (err)
    return err;
  return out;
}

template <class Record>
caf::expected<std::string> encode_value(const Record& rec) {
  if constexpr (has_compact_form<Record>)
    return encode_compact(rec);
  else
    return encode_json_value(rec);
}

// ---- decoding --------------------------------------------------------------------------

// Each convert() checks the JSON type, fills `out` and on a mismatch sets `problem`
// (naming the field path) and leaves `out` alone.
void convert(const json& j, const std::string& path, std::string& out, std::string& problem);
void convert(const json& j, const std::string& path, bool& out, std::string& problem);
void convert(const json& j, const std::string& path, int64_t& out, std::string& problem);
void convert(const json& j, const std::string& path, int32_t& out, std::string& problem);
void convert(const json& j, const std::string& path, uint64_t& out, std::string& problem);
void convert(const json& j, const std::string& path, double& out, std::string& problem);
void convert(const json& j, const std::string& path, kforge::gate_result& out, std::string& problem);
void convert(const json& j, const std::string& path, kforge::timing_stats& out, std::string& problem);
void convert(const json& j, const std::string& path, kforge::verdict& out, std::string& problem);
void convert(const json& j, const std::string& path, kforge::knob_setting& out, std::string& problem);

void mismatch(const json& j, const std::string& path, const char* expected, std::string& problem) {
  problem = (path.empty() ? std::string{"value"} : "field " + path) + ": expected " + expected + ", got " +
            j.type_name();
}

template <class T>
void convert(const json& j, const std::string& path, std::vector<T>& out, std::string& problem) {
  if (!j.is_array())
    return mismatch(j, path, "array", problem);
  std::vector<T> items;
  items.reserve(j.size());
  for (std::size_t i = 0; i < j.size() && problem.empty(); ++i) {
    items.emplace_back();
    convert(j[i], path + "[" + std::to_string(i) + "]", items.back(), problem);
  }
  if (problem.empty())
    out = std::move(items);
}

/// Reads the fields of one JSON object; stops at the first problem.
class reader {
 public:
  reader(const json& obj, const std::string& path, std::string& problem)
      : obj_(obj), path_(path), problem_(problem) {
    if (!obj.is_object())
      mismatch(obj, path, "object", problem);
  }

  /// Reads `name`; absence is a problem.
  template <class T>
  reader& required(const char* name, T& out) {
    return field(name, out, true);
  }

  /// Reads `name` if present; otherwise `out` keeps its default.
  template <class T>
  reader& optional(const char* name, T& out) {
    return field(name, out, false);
  }

 private:
  template <class T>
  reader& field(const char* name, T& out, bool is_required) {
    if (!problem_.empty())
      return *this;
    const std::string path = path_.empty() ? std::string{name} : path_ + "." + name;
    const auto it = obj_.find(name);
    if (it == obj_.end()) {
      if (is_required)
        problem_ = "missing field " + path;
      return *this;
    }
    convert(*it, path, out, problem_);
    return *this;
  }

  const json& obj_;
  const std::string& path_;
  std::string& problem_;
};

void convert(const json& j, const std::string& path, std::string& out, std::string& problem) {
  if (!j.is_string())
    return mismatch(j, path, "string", problem);
  out = j.get_ref<const std::string&>();
}

void convert(const json& j, const std::string& path, bool& out, std::string& problem) {
  if (!j.is_boolean())
    return mismatch(j, path, "boolean", problem);
  out = j.get<bool>();
}

void convert(const json& j, const std::string& path, int64_t& out, std::string& problem) {
  if (!j.is_number_integer())
    return mismatch(j, path, "integer", problem);
  if (j.is_number_unsigned() &&
      j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    problem = "field " + path + ": integer out of range for i64";
    return;
  }
  out = j.get<int64_t>();
}

void convert(const json& j, const std::string& path, int32_t& out, std::string& problem) {
  int64_t wide = 0;
  convert(j, path, wide, problem);
  if (!problem.empty())
    return;
  if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max()) {
    problem = "field " + path + ": integer out of range for i32";
    return;
  }
  out = static_cast<int32_t>(wide);
}

void convert(const json& j, const std::string& path, uint64_t& out, std::string& problem) {
  // nlohmann stores every non-negative integer as unsigned, so a signed one is negative.
  if (!j.is_number_unsigned())
    return mismatch(j, path, "non-negative integer", problem);
  out = j.get<uint64_t>();
}

void convert(const json& j, const std::string& path, double& out, std::string& problem) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (j.is_number()) {
    out = j.get<double>();
  } else if (j == "nan") {
    out = std::numeric_limits<double>::quiet_NaN();
  } else if (j == "inf" || j == "-inf") {
    out = j == "inf" ? inf : -inf;
  } else {
    mismatch(j, path, "number", problem);
  }
}

void convert(const json& j, const std::string& path, kforge::gate_result& out, std::string& problem) {
  reader{j, path, problem}
      .optional("gate", out.gate)
      .optional("passed", out.passed)
      .optional("detail", out.detail);
}

void convert(const json& j, const std::string& path, kforge::timing_stats& out, std::string& problem) {
  reader{j, path, problem}
      .optional("median_ns", out.median_ns)
      .optional("min_ns", out.min_ns)
      .optional("mean_ns", out.mean_ns)
      .optional("stddev_ns", out.stddev_ns)
      .optional("count", out.count)
      .optional("ci_half_ns", out.ci_half_ns)
      .optional("converged", out.converged)
      .optional("noisy", out.noisy);
}

void convert(const json& j, const std::string& path, kforge::verdict& out, std::string& problem) {
  reader{j, path, problem}
      .optional("feasible", out.feasible)
      .optional("failed_gate", out.failed_gate)
      .optional("gates", out.gates)
      .optional("timing", out.timing)
      .optional("max_abs_error", out.max_abs_error)
      .optional("compile_ms", out.compile_ms)
      .optional("run_ms", out.run_ms)
      .optional("device", out.device)
      .optional("reference_ns", out.reference_ns)
      .optional("flagged", out.flagged)
      .optional("first_timing", out.first_timing)
      .optional("timings_disagree", out.timings_disagree);
}

void convert(const json& j, const std::string& path, kforge::knob_setting& out, std::string& problem) {
  reader{j, path, problem}.optional("name", out.name).optional("value", out.value);
}

void convert(const json& j, const std::string& path, campaign_record& r, std::string& problem) {
  reader{j, path, problem}
      .required("id", r.id)
      .optional("config_path", r.config_path)
      .optional("config_hash", r.config_hash)
      .optional("config_text", r.config_text)
      .optional("status", r.status)
      .optional("seed", r.seed)
      .optional("evaluations", r.evaluations)
      .optional("created_ms", r.created_ms)
      .optional("updated_ms", r.updated_ms)
      .optional("wall_ms", r.wall_ms);
}

void convert(const json& j, const std::string& path, task_record& r, std::string& problem) {
  reader{j, path, problem}
      .required("campaign", r.campaign)
      .required("task_id", r.task_id)
      .optional("definition_hash", r.definition_hash)
      .optional("family", r.family)
      .optional("backend", r.backend)
      .optional("phase", r.phase)
      .optional("stop_reason", r.stop_reason)
      .optional("best_hash", r.best_hash)
      .optional("best_latency_ns", r.best_latency_ns)
      .optional("best_ci_ns", r.best_ci_ns)
      .optional("reference_latency_ns", r.reference_latency_ns)
      .optional("evaluations", r.evaluations)
      .optional("feasible", r.feasible)
      .optional("step", r.step)
      .optional("since_improvement", r.since_improvement)
      .optional("reward_count", r.reward_count)
      .optional("reward_mean", r.reward_mean)
      .optional("reward_m2", r.reward_m2)
      .optional("updated_ms", r.updated_ms)
      .optional("final_hash", r.final_hash)
      .optional("final_reference_ns", r.final_reference_ns)
      .optional("final_latency_ns", r.final_latency_ns)
      .optional("final_rounds", r.final_rounds)
      .optional("final_detail", r.final_detail);
}

void convert(const json& j, const std::string& path, candidate_record& r, std::string& problem) {
  reader{j, path, problem}
      .required("hash", r.hash)
      .required("campaign", r.campaign)
      .required("task_id", r.task_id)
      .required("seq", r.seq)
      .optional("source", r.source)
      .optional("parents", r.parents)
      .optional("stage", r.stage)
      .optional("policy", r.policy)
      .optional("model", r.model)
      .optional("context_ids", r.context_ids)
      .optional("knobs", r.knobs)
      .optional("optimization", r.optimization)
      .optional("verdict", r.verdict)
      .optional("speedup_vs_ref", r.speedup_vs_ref)
      .optional("speedup_vs_parent", r.speedup_vs_parent)
      .optional("reward", r.reward)
      .optional("perf_state", r.perf_state)
      .optional("device", r.device)
      .optional("created_ms", r.created_ms)
      .optional("technique", r.technique)
      .optional("call_id", r.call_id)
      .optional("source_tail", r.source_tail);
}

void convert(const json& j, const std::string& path, memory_item& r, std::string& problem) {
  reader{j, path, problem}
      .required("id", r.id)
      .optional("kind", r.kind)
      .optional("family", r.family)
      .optional("state", r.state)
      .optional("tags", r.tags)
      .optional("text", r.text)
      .optional("payload", r.payload)
      .optional("q1", r.q1)
      .optional("q2", r.q2)
      .optional("visits1", r.visits1)
      .optional("visits2", r.visits2)
      .optional("source_tasks", r.source_tasks)
      .optional("created_ms", r.created_ms)
      .optional("updated_ms", r.updated_ms)
      .optional("samples", r.samples)
      .optional("mean_speedup", r.mean_speedup)
      .optional("feasible_samples", r.feasible_samples)
      .optional("retired", r.retired);
}

void convert(const json& j, const std::string& path, llm_call_record& r, std::string& problem) {
  reader{j, path, problem}
      .required("request_hash", r.request_hash)
      .optional("campaign", r.campaign)
      .optional("task_id", r.task_id)
      .optional("endpoint", r.endpoint)
      .optional("model", r.model)
      .optional("tokens_in", r.tokens_in)
      .optional("tokens_out", r.tokens_out)
      .optional("latency_ms", r.latency_ms)
      .optional("cost", r.cost)
      .optional("outcome", r.outcome)
      .optional("attempts", r.attempts)
      .optional("response", r.response)
      .optional("created_ms", r.created_ms)
      .optional("stage", r.stage)
      .optional("errors", r.errors)
      .optional("choice", r.choice)
      .optional("kernels", r.kernels)
      .optional("usable", r.usable)
      .optional("system_text", r.system_text)
      .optional("user_text", r.user_text);
}

void convert(const json& j, const std::string& path, reference_record& r, std::string& problem) {
  reader{j, path, problem}
      .required("task_id", r.task_id)
      .optional("device", r.device)
      .optional("signature", r.signature)
      .optional("reference_hash", r.reference_hash)
      .optional("timing", r.timing)
      .optional("created_ms", r.created_ms);
}

/// Checks the version byte, parses the JSON and converts it into a fresh `Record`;
/// `out` is assigned only on success.
template <class Record>
caf::error decode_value(std::string_view value, table t, std::string_view key, Record& out) {
  const std::string context = std::string{"decode table="} + table_name(t) + " key=" + printable_key(key);
  if (value.empty())
    return make_error(errc::store_corrupt, context + ": empty value");
  const auto version = static_cast<unsigned char>(value.front());
  // Version 1 values are JSON; version 2 adds the compact form above for the hot records.
  if (version == 0 || version > schema_version) {
    return make_error(errc::store_corrupt, context + ": unknown schema version " + std::to_string(version) +
                                               " (this build reads 1.." + std::to_string(schema_version) +
                                               ")");
  }
  if (is_compact(value)) {
    if constexpr (has_compact_form<Record>)
      return decode_compact(value, context, out);
    return make_error(errc::store_corrupt, context + ": a compact value where this table holds JSON");
  }
  return json_boundary(errc::store_corrupt, context, [&]() -> caf::error {
    const std::string_view text = value.substr(1);
    const json parsed = json::parse(text.begin(), text.end());
    Record rec;
    std::string problem;
    convert(parsed, std::string{}, rec, problem);
    if (!problem.empty())
      return make_error(errc::store_corrupt, context + ": " + problem);
    out = std::move(rec);
    return caf::none;
  });
}

}  // namespace

caf::expected<std::string> encode(const campaign_record& rec) {
  return encode_value(rec);
}
caf::expected<std::string> encode(const task_record& rec) {
  return encode_value(rec);
}
caf::expected<std::string> encode(const candidate_record& rec) {
  return encode_value(rec);
}
caf::expected<std::string> encode(const memory_item& rec) {
  return encode_value(rec);
}
caf::expected<std::string> encode(const llm_call_record& rec) {
  return encode_value(rec);
}
caf::expected<std::string> encode(const reference_record& rec) {
  return encode_value(rec);
}
template <class Record>
caf::expected<std::string> encode_json(const Record& rec) {
  return encode_json_value(rec);
}
template caf::expected<std::string> encode_json(const campaign_record&);
template caf::expected<std::string> encode_json(const task_record&);
template caf::expected<std::string> encode_json(const candidate_record&);
template caf::expected<std::string> encode_json(const memory_item&);
template caf::expected<std::string> encode_json(const llm_call_record&);
caf::expected<std::string> encode_string(std::string_view text) {
  return encode_value(text);
}

caf::error decode(std::string_view value, table t, std::string_view key, campaign_record& out) {
  return decode_value(value, t, key, out);
}
caf::error decode(std::string_view value, table t, std::string_view key, task_record& out) {
  return decode_value(value, t, key, out);
}
caf::error decode(std::string_view value, table t, std::string_view key, candidate_record& out) {
  return decode_value(value, t, key, out);
}
caf::error decode(std::string_view value, table t, std::string_view key, memory_item& out) {
  return decode_value(value, t, key, out);
}
caf::error decode(std::string_view value, table t, std::string_view key, llm_call_record& out) {
  return decode_value(value, t, key, out);
}
caf::error decode(std::string_view value, table t, std::string_view key, reference_record& out) {
  return decode_value(value, t, key, out);
}
caf::error decode(std::string_view value, table t, std::string_view key, std::string& out) {
  return decode_value(value, t, key, out);
}

}  // namespace kforge::memory
