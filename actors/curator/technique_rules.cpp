#include "actors/curator/technique_rules.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/json_field.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace kforge::actors {

namespace {

std::vector<std::string> split_ids(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    auto part = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? list.size() + 1 : end + 1;
    auto b = part.find_first_not_of(' ');
    auto e = part.find_last_not_of(' ');
    if (b == std::string::npos)
      continue;
    part = part.substr(b, e - b + 1);
    if (std::find(out.begin(), out.end(), part) == out.end())
      out.push_back(part);
  }
  return out;
}

// "softmax|memory|eff2|roofline" -> "softmax, memory-bound (eff2)".
std::string state_words(const std::string& state) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= state.size()) {
    auto end = state.find('|', start);
    parts.push_back(state.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? state.size() + 1 : end + 1;
  }
  std::string out = parts[0];
  if (parts.size() > 1)
    out += ", " + parts[1] + "-bound";
  if (parts.size() > 2)
    out += " (" + parts[2] + ")";
  return out;
}

}  // namespace

std::string technique_entry_id(const std::string& backend, const std::string& family,
                               const std::string& state, const std::string& technique_id) {
  content_hasher h;
  h.add("opt").add(family).add(state).add("technique").add(backend).add(technique_id);
  return h.finish();
}

bool technique_of_entry(const memory::memory_item& item, std::string& id, std::string& backend) {
  if (item.kind != "optimization" ||
      std::find(item.tags.begin(), item.tags.end(), "technique") == item.tags.end())
    return false;
  auto p = nlohmann::json::parse(item.payload, nullptr, false);
  if (p.is_discarded() || !p.is_object() || !p.contains("technique") || !p["technique"].is_string())
    return false;
  id = p["technique"].get<std::string>();
  backend = string_field(p, "backend", std::string{});
  return true;
}

std::vector<memory::memory_item> derive_technique_entries(
    const memory::candidate_record& cand, const memory::task_record& task,
    const std::optional<memory::candidate_record>& parent, int64_t now_ms) {
  std::vector<memory::memory_item> out;
  const auto& v = cand.verdict;
  if (cand.stage == "draft" || cand.technique.empty() || !parent || parent->perf_state.empty() ||
      v.failed_gate == kforge::gate_parse)
    return out;
  // The task actor's gain over the parent (gain_beyond_noise): 1.0 within the noise.
  double effect = v.feasible && v.is_timed() && parent->verdict.is_timed() ? cand.speedup_vs_parent : 0.0;
  for (const auto& id : split_ids(cand.technique)) {
    memory::memory_item e;
    e.id = technique_entry_id(task.backend, task.family, parent->perf_state, id);
    e.kind = "optimization";
    e.family = task.family;
    e.state = parent->perf_state;
    e.tags = {"refine", "technique", memory::words_tag, task.task_id};  // in words: a model may read it
    e.payload = nlohmann::json{{"technique", id}, {"backend", task.backend}}.dump();
    e.source_tasks = {task.task_id};
    e.created_ms = now_ms;
    e.updated_ms = now_ms;
    e.samples = 1;
    e.mean_speedup = effect;
    e.feasible_samples = v.feasible ? 1 : 0;
    e.q2 = cand.reward;
    e.visits2 = 1;
    describe_technique_entry(e);
    out.push_back(std::move(e));
  }
  return out;
}

void describe_technique_entry(memory::memory_item& entry) {
  std::string id;
  std::string backend;
  if (!technique_of_entry(entry, id, backend))
    return;
  char buf[160];
  std::snprintf(buf, sizeof(buf), " gave %.2fx over the parent on average in %lld %s (%lld correct)",
                entry.mean_speedup, static_cast<long long>(entry.samples),
                entry.samples == 1 ? "try" : "tries", static_cast<long long>(entry.feasible_samples));
  entry.text = state_words(entry.state) + ": technique " + id + buf;
}

}  // namespace kforge::actors
