#include "actors/curator/insight_rules.hpp"

#include "runtime/base/hash.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace kforge::actors {

namespace {

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

}  // namespace

bool should_retire(const memory::memory_item& item, const consolidation_config& cfg) noexcept {
  if (item.retired || item.visits1 + item.visits2 < cfg.retire_min_visits)
    return false;
  bool low1 = item.visits1 == 0 || item.q1 < cfg.retire_below;
  bool low2 = item.visits2 == 0 || item.q2 < cfg.retire_below;
  return low1 && low2;
}

consolidation consolidate(const std::vector<memory::memory_item>& items, const consolidation_config& cfg,
                          int64_t now_ms) {
  consolidation out;
  std::map<std::pair<std::string, std::string>, change_evidence> changes;  // (family, changes text)
  std::map<std::string, int64_t> seeds_per_family;
  std::map<std::tuple<std::string, std::string, int64_t>, value_evidence> values;  // (family, knob, value)
  for (const auto& item : items) {
    if (should_retire(item, cfg))
      out.retire.push_back(item.id);
    if (item.retired)
      continue;
    auto payload = nlohmann::json::parse(item.payload, nullptr, false);
    if (payload.is_discarded() || !payload.is_object())
      continue;
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
    double sum = 0;
    double lo = ev.effects.front();
    double hi = lo;
    int64_t faster = 0;
    for (double e : ev.effects) {
      sum += e;
      lo = std::min(lo, e);
      hi = std::max(hi, e);
      faster += e > 1.0 ? 1 : 0;
    }
    double mean = sum / static_cast<double>(n);
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
  return out;
}

}  // namespace kforge::actors
