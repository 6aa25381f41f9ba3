#pragma once

// Consolidation as it was before the insight index (kforge commit 8699151), kept verbatim for
// the scale bench's before/after figures: a pass over every memory item, each payload parsed
// from JSON. Nothing else may use it.

#include "actors/curator/insight_rules.hpp"
#include "runtime/base/hash.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace kforge::bench::before {

using actors::consolidation;
using actors::consolidation_config;
using actors::should_retire;

// NOLINTBEGIN
namespace {

// The spread of measured speedups: mean, least, most, and how many are above 1 (all 0 when none).
struct effect_summary {
  double mean = 0;
  double lo = 0;
  double hi = 0;
  int64_t faster = 0;
};

effect_summary summarize(const std::vector<double>& effects) {
  effect_summary out;
  if (effects.empty())
    return out;
  double sum = 0;
  out.lo = out.hi = effects.front();
  for (double e : effects) {
    sum += e;
    out.lo = std::min(out.lo, e);
    out.hi = std::max(out.hi, e);
    out.faster += e > 1.0 ? 1 : 0;
  }
  out.mean = sum / static_cast<double>(effects.size());
  return out;
}

std::string ratio(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", x);
  return buf;
}

// "VEC=8 ACC=2" from a changes array [{"knob": "VEC", "value": 8}, ...].
std::string changes_text(const nlohmann::json& changes) {
  std::string out;
  for (const auto& c : changes) {
    if (!c.is_object() || !c.contains("knob") || !c.contains("value") || !c["knob"].is_string() ||
        !c["value"].is_number_integer())
      return {};
    if (!out.empty())
      out += ' ';
    out += c["knob"].get<std::string>() + "=" + std::to_string(c["value"].get<int64_t>());
  }
  return out;
}

struct change_evidence {
  nlohmann::json changes;
  std::vector<double> effects;
  std::set<std::string> tasks;
};

struct value_evidence {
  int64_t count = 0;
  double best_speedup = 0;
  std::set<std::string> tasks;
};

void add_tasks(std::set<std::string>& to, const memory::memory_item& item) {
  to.insert(item.source_tasks.begin(), item.source_tasks.end());
}

// Evidence about one technique from a model's items in words, across tasks and families.
struct words_evidence {
  int64_t steps = 0;            // trajectory steps (or seeds) naming it
  std::vector<double> effects;  // measured speedups of the timed ones (over the parent, or the reference)
  std::map<std::string, int64_t> failed_gates;
  std::set<std::string> tasks;
  std::set<std::string> families;
  std::string example;  // the model's statement of the newest one
  int64_t example_ms = -1;
};

// Fields of a payload, with a default when absent or of another type (json::value trips
// -Wnull-dereference in g++ 12).
std::string text_at(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get_ref<const std::string&>() : std::string{};
}

double number_at(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

bool flag_at(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t.");
  return s.substr(b, e - b + 1);
}

// The techniques a model named ("simd_vectorization, multiple_accumulators"), lowercased;
// an item that names none counts under its statement.
std::vector<std::string> technique_keys(const nlohmann::json& payload) {
  std::vector<std::string> out;
  auto technique = text_at(payload, "technique");
  std::size_t pos = 0;
  while (pos <= technique.size()) {
    auto comma = technique.find(',', pos);
    auto part =
        lowered(trimmed(technique.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
    if (!part.empty() && part != "none")
      out.push_back(part);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  if (out.empty()) {
    auto statement = lowered(trimmed(text_at(payload, "optimization")));
    if (!statement.empty())
      out.push_back("\"" + statement + "\"");
  }
  return out;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

void add_words_evidence(std::map<std::string, words_evidence>& by_key, const memory::memory_item& item,
                        const nlohmann::json& payload, const char* effect_key) {
  for (const auto& key : technique_keys(payload)) {
    auto& ev = by_key[key];
    ev.steps += 1;
    if (flag_at(payload, "feasible") && number_at(payload, effect_key) > 0) {
      ev.effects.push_back(number_at(payload, effect_key));
    } else {
      auto gate = text_at(payload, "failed_gate");
      ev.failed_gates[gate.empty() ? "unknown" : gate] += 1;
    }
    add_tasks(ev.tasks, item);
    ev.families.insert(item.family);
    if (item.updated_ms > ev.example_ms) {
      ev.example_ms = item.updated_ms;
      ev.example = text_at(payload, "optimization");
    }
  }
}

// An insight in words from the evidence about one technique; false if there is too little.
bool words_insight(const std::string& stage, const std::string& key, const words_evidence& ev,
                   const consolidation_config& cfg, int64_t now_ms, memory::memory_item& ins) {
  if (ev.steps < cfg.min_evidence)
    return false;
  bool refine = stage == "refine";
  auto timed = static_cast<int64_t>(ev.effects.size());
  const auto [mean, lo, hi, faster] = summarize(ev.effects);
  content_hasher h;
  h.add("insight-words").add(stage).add(key);
  ins.id = h.finish();
  ins.kind = "insight";
  ins.family = ev.families.size() == 1 ? *ev.families.begin() : std::string{};
  auto where = std::to_string(ev.tasks.size()) + (ev.tasks.size() == 1 ? " task" : " tasks") + " (" +
               joined(ev.families) + ")";
  if (refine) {
    ins.text = key + ", in " + std::to_string(ev.steps) + " refine steps of model kernels on " + where + ": ";
    if (timed > 0)
      ins.text += ratio(mean) + " mean over the parent (" + ratio(lo) + " to " + ratio(hi) + "), faster in " +
                  std::to_string(faster) + " of " + std::to_string(timed) + " that passed";
    else
      ins.text += "none passed the gates";
  } else {
    ins.text = key + ", in " + std::to_string(ev.steps) + " first kernels that passed on " + where + ": " +
               ratio(mean) + " mean over the reference (" + ratio(lo) + " to " + ratio(hi) + ")";
  }
  int64_t failed = ev.steps - timed;
  if (failed > 0) {
    std::string gates;
    for (const auto& [gate, n] : ev.failed_gates)
      gates += (gates.empty() ? "" : ", ") + gate + " " + std::to_string(n);
    ins.text += "; " + std::to_string(failed) + " failed the gates (" + gates + ")";
  }
  if (!ev.example.empty() && key.front() != '"')
    ins.text += "; e.g. \"" + ev.example + "\"";
  ins.payload = nlohmann::json{{"technique", key},     {"count", ev.steps},
                               {"timed", timed},       {"faster", faster},
                               {"mean_speedup", mean}, {"min_speedup", lo},
                               {"max_speedup", hi},    {"versus", refine ? "parent" : "reference"}}
                    .dump();
  ins.tags = {stage, "consolidated", memory::words_tag};
  ins.source_tasks.assign(ev.tasks.begin(), ev.tasks.end());
  double share = static_cast<double>(timed) / static_cast<double>(ev.steps);
  double prior = timed > 0 ? std::clamp(std::log(std::max(mean, 1e-9)), -1.0, 1.0) : 0.0;
  if (refine) {
    ins.samples = ev.steps;
    ins.mean_speedup = mean;
    ins.feasible_samples = timed;
    ins.q2 = prior * share - (1.0 - share);  // prior until it is visited
  } else {
    ins.q1 = 0.5;  // prior until it is visited: the seeds it summarises were all feasible
  }
  ins.created_ms = now_ms;
  ins.updated_ms = now_ms;
  return true;
}

}  // namespace

inline consolidation consolidate(const std::vector<memory::memory_item>& items,
                                 const consolidation_config& cfg, int64_t now_ms) {
  consolidation out;
  std::map<std::pair<std::string, std::string>, change_evidence> changes;  // (family, changes text)
  std::map<std::string, int64_t> seeds_per_family;
  std::map<std::tuple<std::string, std::string, int64_t>, value_evidence> values;  // (family, knob, value)
  std::map<std::string, words_evidence> words_refine;  // technique -> a model's refine steps
  std::map<std::string, words_evidence> words_draft;   // technique -> a model's feasible drafts
  for (const auto& item : items) {
    if (should_retire(item, cfg))
      out.retire.push_back(item.id);
    if (item.retired)
      continue;
    auto payload = nlohmann::json::parse(item.payload, nullptr, false);
    if (payload.is_discarded() || !payload.is_object())
      continue;
    if (memory::is_in_words(item)) {
      // A model's kernels: evidence per technique, across tasks and families.
      if (item.kind == "trajectory")
        add_words_evidence(words_refine, item, payload, "speedup_vs_parent");
      else if (item.kind == "seed")
        add_words_evidence(words_draft, item, payload, "speedup_vs_ref");
      continue;
    }
    if (item.kind == "trajectory" && payload.contains("changes") && payload.contains("speedup_vs_parent") &&
        payload["speedup_vs_parent"].is_number()) {
      auto text = changes_text(payload["changes"]);
      if (text.empty())
        continue;
      auto& ev = changes[{item.family, text}];
      ev.changes = payload["changes"];
      ev.effects.push_back(payload["speedup_vs_parent"].get<double>());
      add_tasks(ev.tasks, item);
    } else if (item.kind == "seed" && payload.contains("knobs") && payload["knobs"].is_object()) {
      seeds_per_family[item.family] += 1;
      double speedup = payload.contains("speedup") && payload["speedup"].is_number()
                           ? payload["speedup"].get<double>()
                           : 0.0;
      for (const auto& [knob, value] : payload["knobs"].items()) {
        if (!value.is_number_integer())
          continue;
        auto& ev = values[{item.family, knob, value.get<int64_t>()}];
        ev.count += 1;
        ev.best_speedup = std::max(ev.best_speedup, speedup);
        add_tasks(ev.tasks, item);
      }
    }
  }
  for (const auto& [key, ev] : changes) {
    auto n = static_cast<int64_t>(ev.effects.size());
    if (n < cfg.min_evidence)
      continue;
    const auto [mean, lo, hi, faster] = summarize(ev.effects);
    content_hasher h;
    h.add("insight").add(key.first).add(key.second);
    memory::memory_item ins;
    ins.id = h.finish();
    ins.kind = "insight";
    ins.family = key.first;
    ins.text = key.first + ": set " + key.second + " gave " + ratio(mean) + " mean over the parent (" +
               ratio(lo) + " to " + ratio(hi) + ", faster in " + std::to_string(faster) + " of " +
               std::to_string(n) + " steps, " + std::to_string(ev.tasks.size()) + " tasks)";
    ins.payload = nlohmann::json{{"changes", ev.changes}, {"count", n},        {"faster", faster},
                                 {"mean_speedup", mean},  {"min_speedup", lo}, {"max_speedup", hi}}
                      .dump();
    ins.tags = {"refine", "consolidated"};
    ins.source_tasks.assign(ev.tasks.begin(), ev.tasks.end());
    ins.samples = n;
    ins.mean_speedup = mean;
    ins.q2 = std::clamp(std::log(std::max(mean, 1e-9)), -1.0, 1.0);  // prior until it is visited
    ins.feasible_samples = n;
    ins.created_ms = now_ms;
    ins.updated_ms = now_ms;
    out.insights.push_back(std::move(ins));
  }
  for (const auto& [key, ev] : values) {
    const auto& [family, knob, value] = key;
    auto seeds = seeds_per_family[family];
    if (ev.count < cfg.min_evidence || 2 * ev.count < seeds)
      continue;
    content_hasher h;
    h.add("insight-draft").add(family).add(knob).add(std::to_string(value));
    memory::memory_item ins;
    ins.id = h.finish();
    ins.kind = "insight";
    ins.family = family;
    ins.text = family + ": " + knob + "=" + std::to_string(value) + " in " + std::to_string(ev.count) +
               " of " + std::to_string(seeds) + " feasible drafts (" + std::to_string(ev.tasks.size()) +
               " tasks, best " + ratio(ev.best_speedup) + " vs reference)";
    ins.payload = nlohmann::json{{"knobs", {{knob, value}}},
                                 {"count", ev.count},
                                 {"seeds", seeds},
                                 {"best_speedup", ev.best_speedup}}
                      .dump();
    ins.tags = {"draft", "consolidated"};
    ins.q1 = 0.5;  // prior until it is visited: the seeds it summarises were all feasible
    ins.source_tasks.assign(ev.tasks.begin(), ev.tasks.end());
    ins.created_ms = now_ms;
    ins.updated_ms = now_ms;
    out.insights.push_back(std::move(ins));
  }
  for (const auto& [stage, evidence] : {std::pair{"refine", &words_refine}, std::pair{"draft", &words_draft}})
    for (const auto& [key, ev] : *evidence) {
      memory::memory_item ins;
      if (words_insight(stage, key, ev, cfg, now_ms, ins))
        out.insights.push_back(std::move(ins));
    }
  return out;
}

// NOLINTEND

}  // namespace kforge::bench::before
