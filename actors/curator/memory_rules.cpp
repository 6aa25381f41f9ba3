#include "actors/curator/memory_rules.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace kforge::actors {

namespace {

// The knob path's payloads, written directly: they are built for every evaluation, and through
// nlohmann::json (a std::map per object, then dump) they were a sixth of the curator's time on the
// null device (an earlier attempt, d267a02, still dumped every string and number through
// nlohmann and measured no gain). Keys in nlohmann's order (sorted), its escapes, and doubles in
// the shortest form that reads back (std::to_chars, as its dtoa) with a fraction or an exponent:
// the bytes dump() gave (a test compares them), except where the two pick another notation for
// the same number (above 1e15, below 1e-4).
void json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;  // UTF-8 passes through, as dump() passes it
        }
    }
  }
  out += '"';
}

void json_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";  // as dump()
    return;
  }
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, x).ptr;
  std::string_view text{buf, static_cast<size_t>(end - buf)};
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos)
    out += ".0";
}

// {"a":1,"b":2}, keys sorted, as nlohmann::json of the settings dumps.
std::string settings_json(const std::vector<kforge::knob_setting>& settings) {
  std::vector<const kforge::knob_setting*> sorted;
  for (const auto& s : settings)
    sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->name < b->name; });
  std::string out = "{";
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i + 1]->name == sorted[i]->name)
      continue;  // a repeated key: the last assignment's value, as out[name] = value gave
    if (out.size() > 1)
      out += ',';
    json_string(out, sorted[i]->name);
    out += ':';
    out += std::to_string(sorted[i]->value);
  }
  return out + "}";
}

// [{"knob":"a","value":1},...] in the changes' order.
std::string changes_json(const std::vector<kforge::knob_setting>& changes) {
  std::string out = "[";
  for (const auto& c : changes) {
    if (out.size() > 1)
      out += ',';
    out += "{\"knob\":";
    json_string(out, c.name);
    out += ",\"value\":" + std::to_string(c.value) + "}";
  }
  return out + "]";
}

std::string format_ms(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f ms", ns / 1e6);
  return buf;
}

std::string format_ratio(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", x);
  return buf;
}

memory::memory_item make_item(const std::string& id, const std::string& kind, const memory::task_record& task,
                              int64_t now_ms) {
  memory::memory_item item;
  item.id = id;
  item.kind = kind;
  item.family = task.family;
  item.source_tasks = {task.task_id};
  item.created_ms = now_ms;
  item.updated_ms = now_ms;
  return item;
}

// "softmax|memory|eff3|roofline" -> "memory"; empty when unknown.
std::string known_bound(const std::string& state) {
  auto first = state.find('|');
  if (first == std::string::npos)
    return {};
  auto second = state.find('|', first + 1);
  auto bound = state.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  return bound == "unknown" ? std::string{} : bound;
}

// What kforge measured of a timed candidate, in words: "0.120 ms, 3.10x the reference,
// 42% of the memory roofline".
std::string measured_text(const memory::candidate_record& c, double roofline_ns) {
  std::string out = format_ms(c.verdict.timing.median_ns);
  if (c.speedup_vs_ref > 0)
    out += ", " + format_ratio(c.speedup_vs_ref) + " the reference";
  auto bound = known_bound(c.perf_state);
  if (roofline_ns > 0 && !bound.empty()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.0f%% of the %s roofline",
                  100.0 * roofline_ns / c.verdict.timing.median_ns, bound.c_str());
    out += ", " + std::string{buf};
  }
  return out;
}

// The model's own statement of what it did, quoted, with the technique it named.
std::string statement_text(const memory::candidate_record& c) {
  std::string out = "\"" + c.optimization + "\"";
  if (!c.technique.empty())
    out += " (technique: " + c.technique + ")";
  return out;
}

// True when the model said nothing of its own (the proxy's placeholders).
bool is_generic(const std::string& statement) {
  return statement.empty() || statement == "draft" || statement == "llm-refine";
}

// The first line of the first failing gate's detail, at most 160 characters.
std::string failure_text(const kforge::verdict& v) {
  std::string out = "failed the " + v.failed_gate + " gate";
  for (const auto& g : v.gates) {
    if (g.passed || g.detail.empty())
      continue;
    auto first = g.detail.substr(0, g.detail.find('\n'));
    out += " (" + first.substr(0, 160) + ")";
    break;
  }
  return out;
}

// Items of a model's kernel (no knobs): a seed for a feasible draft, a trajectory step for
// every refinement of a parent, both in words.
std::vector<memory::memory_item> derive_words_items(const memory::candidate_record& cand,
                                                    const memory::task_record& task,
                                                    const std::optional<memory::candidate_record>& parent,
                                                    int64_t now_ms, double roofline_ns) {
  std::vector<memory::memory_item> out;
  const auto& v = cand.verdict;
  auto statement = is_generic(cand.optimization) ? std::string{} : cand.optimization;
  nlohmann::json payload{
      {"task", task.task_id},
      {"family", task.family},
      {"child", cand.hash},
      {"optimization", statement},
      {"technique", cand.technique},
      {"feasible", v.is_timed()},
      {"failed_gate", v.failed_gate},
      {"latency_ns", v.is_timed() ? v.timing.median_ns : 0.0},
      {"speedup_vs_ref", cand.speedup_vs_ref},
      {"roofline_share", v.is_timed() && roofline_ns > 0 ? roofline_ns / v.timing.median_ns : 0.0}};
  if (cand.stage == "draft") {
    if (!v.is_timed())
      return out;
    // The same statement from another task lands on the same seed; an unnamed draft is its own.
    content_hasher h;
    h.add("seed-words").add(task.family).add(statement.empty() ? cand.hash : lowercase(statement));
    auto item = make_item(h.finish(), "seed", task, now_ms);
    item.state = cand.perf_state;
    item.text = task.family + " task " + task.task_id + ", a first kernel that passed every gate: " +
                (statement.empty() ? std::string{"(no statement)"} : statement_text(cand)) + "; " +
                measured_text(cand, roofline_ns);
    item.payload = payload.dump();
    item.tags = {"draft", task.task_id, memory::words_tag};
    item.q1 = cand.reward;
    item.visits1 = 1;
    item.q2 = cand.speedup_vs_ref > 0 ? std::tanh(std::log(cand.speedup_vs_ref) / 2) : 0.0;
    out.push_back(std::move(item));
    return out;
  }
  if (!parent || !parent->verdict.is_timed())
    return out;
  // The task actor's gain over the parent, 1.0 within the noise: no-op changes teach nothing.
  double effect = v.is_timed() ? cand.speedup_vs_parent : 0.0;
  payload["parent"] = parent->hash;
  payload["parent_ns"] = parent->verdict.timing.median_ns;
  payload["speedup_vs_parent"] = effect;
  auto traj = make_item(sha256_hex("traj" + cand.hash), "trajectory", task, now_ms);
  traj.state = parent->perf_state;
  std::string what = statement.empty() ? std::string{"a change it did not name"} : statement_text(cand);
  traj.text = task.family + " task " + task.task_id + ", refine step " + what + ": ";
  if (v.is_timed())
    traj.text += format_ms(parent->verdict.timing.median_ns) + " -> " + measured_text(cand, roofline_ns) +
                 ", " + format_ratio(effect) + " over the parent";
  else
    traj.text += failure_text(v) + "; the parent ran " + format_ms(parent->verdict.timing.median_ns);
  traj.payload = payload.dump();
  traj.tags = {"refine", task.task_id, memory::words_tag};
  traj.q2 = cand.reward;
  traj.visits2 = 1;
  out.push_back(std::move(traj));
  return out;
}

}  // namespace

void update_value(memory::memory_item& item, const std::string& stage, double reward, double alpha) noexcept {
  if (stage == "draft") {
    item.q1 += alpha * (reward - item.q1);
    item.visits1 += 1;
  } else {
    item.q2 += alpha * (reward - item.q2);
    item.visits2 += 1;
  }
}

std::vector<kforge::knob_setting> knob_changes(const std::vector<kforge::knob_setting>& parent,
                                               const std::vector<kforge::knob_setting>& child) {
  std::vector<kforge::knob_setting> out;
  for (const auto& c : child) {
    auto it = std::find_if(parent.begin(), parent.end(), [&](const auto& p) { return p.name == c.name; });
    if (it == parent.end() || it->value != c.value)
      out.push_back(c);
  }
  return out;
}

std::string format_settings(const std::vector<kforge::knob_setting>& settings) {
  std::string out;
  for (const auto& s : settings) {
    if (!out.empty())
      out += ' ';
    out += s.name + "=" + std::to_string(s.value);
  }
  return out;
}

std::vector<memory::memory_item> derive_items(const memory::candidate_record& cand,
                                              const memory::task_record& task,
                                              const std::optional<memory::candidate_record>& parent,
                                              int64_t now_ms, double roofline_ns) {
  if (cand.knobs.empty())
    return derive_words_items(cand, task, parent, now_ms, roofline_ns);  // a model's free-form kernel
  std::vector<memory::memory_item> out;
  const auto& v = cand.verdict;
  if (cand.stage == "draft") {
    if (!v.feasible)
      return out;
    content_hasher h;
    h.add("seed").add(task.family).add(format_settings(cand.knobs));
    auto item = make_item(h.finish(), "seed", task, now_ms);
    item.state = cand.perf_state;
    item.text = task.family + ": feasible setting " + format_settings(cand.knobs) + " (task " + task.task_id +
                (cand.speedup_vs_ref > 0 ? ", " + format_ratio(cand.speedup_vs_ref) + " vs reference" : "") +
                ")";
    item.payload = "{\"knobs\":" + settings_json(cand.knobs) + ",\"speedup\":";
    json_number(item.payload, cand.speedup_vs_ref);
    item.payload += ",\"task\":";
    json_string(item.payload, task.task_id);
    item.payload += '}';
    item.tags = {"draft", task.task_id};
    item.q1 = cand.reward;
    item.visits1 = 1;
    // Prior of its refine value (a target to move toward): how fast the setting was.
    item.q2 = cand.speedup_vs_ref > 0 ? std::tanh(std::log(cand.speedup_vs_ref) / 2) : 0.0;
    out.push_back(std::move(item));
    return out;
  }
  if (!parent)
    return out;
  auto changes = knob_changes(parent->knobs, cand.knobs);
  if (changes.empty())
    return out;
  // The task actor's gain over the parent (gain_beyond_noise): 1.0 within the noise.
  double effect = v.is_timed() && parent->verdict.is_timed() ? cand.speedup_vs_parent : 0.0;
  // A knowledge-base entry: <state, <optimization, score>>, keyed by the parent's state.
  content_hasher h;
  h.add("opt").add(task.family).add(parent->perf_state).add(format_settings(changes));
  auto opt = make_item(h.finish(), "optimization", task, now_ms);
  opt.state = parent->perf_state;
  opt.text = task.family + ": set " + format_settings(changes);
  opt.samples = 1;
  opt.mean_speedup = effect;  // 0 when the child failed: an unsafe change scores low
  opt.feasible_samples = v.feasible ? 1 : 0;
  auto changes_text = changes_json(changes);
  opt.payload = "{\"changes\":" + changes_text + "}";
  opt.tags = {"refine", task.task_id};
  opt.q2 = cand.reward;
  opt.visits2 = 1;
  out.push_back(std::move(opt));

  if (v.is_timed() && effect > 0) {
    auto traj = make_item(sha256_hex("traj" + cand.hash), "trajectory", task, now_ms);
    traj.state = parent->perf_state;
    traj.text = task.task_id + ": " + cand.optimization + " gave " + format_ratio(effect) +
                " over the parent (" + format_ms(parent->verdict.timing.median_ns) + " -> " +
                format_ms(v.timing.median_ns) + ")";
    traj.payload = "{\"changes\":" + changes_text + ",\"child\":";
    json_string(traj.payload, cand.hash);
    traj.payload += ",\"parent\":";
    json_string(traj.payload, parent->hash);
    traj.payload += ",\"speedup_vs_parent\":";
    json_number(traj.payload, effect);
    traj.payload += '}';
    traj.tags = {"refine", task.task_id};
    traj.q2 = cand.reward;
    traj.visits2 = 1;
    out.push_back(std::move(traj));
  }
  return out;
}

void merge_item(memory::memory_item& stored, const memory::memory_item& fresh) {
  for (const auto& t : fresh.source_tasks)
    if (std::find(stored.source_tasks.begin(), stored.source_tasks.end(), t) == stored.source_tasks.end())
      stored.source_tasks.push_back(t);
  for (const auto& t : fresh.tags)
    if (std::find(stored.tags.begin(), stored.tags.end(), t) == stored.tags.end())
      stored.tags.push_back(t);
  if (fresh.samples > 0) {
    auto total = stored.samples + fresh.samples;
    stored.mean_speedup = (stored.mean_speedup * static_cast<double>(stored.samples) +
                           fresh.mean_speedup * static_cast<double>(fresh.samples)) /
                          static_cast<double>(total);
    stored.samples = total;
    stored.feasible_samples += fresh.feasible_samples;
  }
  stored.text = fresh.text;
  stored.payload = fresh.payload;
  if (stored.state.empty())
    stored.state = fresh.state;
  stored.updated_ms = fresh.updated_ms;
}

}  // namespace kforge::actors
