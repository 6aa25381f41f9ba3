#include "actors/curator/insight_index.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/text.hpp"
#include "runtime/base/text_memo.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace kforge::actors {

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
    auto part = lowercase(
        trimmed(technique.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
    if (!part.empty() && part != "none")
      out.push_back(part);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  if (out.empty()) {
    auto statement = lowercase(trimmed(text_at(payload, "optimization")));
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

insight_index::insight_index(consolidation_config cfg) : cfg_(cfg) {}

uint32_t insight_index::task_list(const std::vector<std::string>& tasks) {
  std::string packed;  // each name after its length, so that any name survives
  for (const auto& t : tasks)
    packed.append(std::to_string(t.size())).append(":").append(t);
  return pool_->intern(packed);
}

void insight_index::add_tasks(uint32_t list, std::set<std::string>& to) const {
  auto packed = pool_->view(list);
  while (!packed.empty()) {
    auto colon = packed.find(':');
    size_t n = 0;
    for (char c : packed.substr(0, colon))
      n = n * 10 + static_cast<size_t>(c - '0');
    to.emplace(packed.substr(colon + 1, n));
    packed.remove_prefix(colon + 1 + n);
  }
}

uint32_t insight_index::change_id(const change_key& k) {
  auto [it, added] = change_ids_.try_emplace(k, static_cast<uint32_t>(change_keys_.size()));
  if (added)
    change_keys_.push_back(k);
  return it->second;
}

uint32_t insight_index::value_id(const value_key& k) {
  auto [it, added] = value_ids_.try_emplace(k, static_cast<uint32_t>(value_keys_.size()));
  if (added)
    value_keys_.push_back(k);
  return it->second;
}

void insight_index::update(const memory::memory_item& item) {
  forget(item.id);
  if (should_retire(item, cfg_))
    retire_.insert(item.id);
  else
    retire_.erase(item.id);
  learn(item);
}

namespace {

// Takes `id`'s share out of the bucket of `key` (dropping an emptied bucket).
template <class Map, class Key>
void take_back(Map& buckets, const Key& key, uint32_t id) {
  auto bucket = buckets.find(key);
  if (bucket != buckets.end() && bucket->second.erase(id) > 0 && bucket->second.empty())
    buckets.erase(bucket);
}

constexpr uint32_t kind_shift = 30;
constexpr uint32_t id_mask = (1U << kind_shift) - 1;

}  // namespace

void insight_index::forget(const std::string& id) {
  auto item = pool_->lookup(id);
  auto it = item == string_pool::npos ? shares_.end() : shares_.find(item);
  if (it == shares_.end())
    return;
  for (auto tagged : it->second.keys) {
    auto key = tagged & id_mask;
    switch (tagged >> kind_shift) {
      case change_kind:
        take_back(changes_, change_keys_[key], item);
        changed_changes_.insert(change_keys_[key]);
        break;
      case value_kind:
        take_back(values_, value_keys_[key], item);
        changed_values_.insert(value_keys_[key]);
        break;
      case refine_kind:
        take_back(words_refine_, key, item);
        changed_words_refine_.insert(key);
        break;
      default:
        take_back(words_draft_, key, item);
        changed_words_draft_.insert(key);
        break;
    }
  }
  if (auto family = it->second.seed_family; family != string_pool::npos) {
    auto seeds = seeds_.find(family);
    if (seeds != seeds_.end() && --seeds->second == 0)
      seeds_.erase(seeds);
    changed_seed_families_.insert(family);
  }
  shares_.erase(it);
}

void insight_index::learn(const memory::memory_item& item) {
  if (item.retired || (item.kind != "trajectory" && item.kind != "seed"))
    return;
  // An item is learned again at every change of its values (each use in a step's context), its
  // payload the same: parsing it every time was a tenth of the curator's work on the null device.
  const auto& payload = memo_by_text(
      item.payload, [](const std::string& text) { return nlohmann::json::parse(text, nullptr, false); });
  if (payload.is_discarded() || !payload.is_object())
    return;
  auto& pool = *pool_;
  const by_pooled_string order{pool_.get()};
  item_keys keys;
  uint32_t id = string_pool::npos;
  auto id_of_item = [&] {
    if (id == string_pool::npos)
      id = pool.intern(item.id);
    return id;
  };
  auto tag = [](key_kind kind, uint32_t key) { return (static_cast<uint32_t>(kind) << kind_shift) | key; };
  if (memory::is_in_words(item)) {
    // A model's kernels: evidence per technique, across tasks and families.
    bool refine = item.kind == "trajectory";
    const char* effect_key = refine ? "speedup_vs_parent" : "speedup_vs_ref";
    auto& by_key = refine ? words_refine_ : words_draft_;
    auto& changed = refine ? changed_words_refine_ : changed_words_draft_;
    for (const auto& name : technique_keys(payload)) {
      auto key = pool.intern(name);
      auto& share = by_key.try_emplace(key, order).first->second[id_of_item()];
      if (share.times == 0) {
        share.timed = flag_at(payload, "feasible") && number_at(payload, effect_key) > 0;
        share.effect = number_at(payload, effect_key);
        share.gate = pool.intern(text_at(payload, "failed_gate"));
        share.family = pool.intern(item.family);
        share.tasks = task_list(item.source_tasks);
        share.updated_ms = item.updated_ms;
        share.example = pool.intern(text_at(payload, "optimization"));
        keys.keys.push_back(tag(refine ? refine_kind : draft_kind, key));
      }
      share.times += 1;
      changed.insert(key);
    }
  } else if (item.kind == "trajectory" && payload.contains("changes") &&
             payload.contains("speedup_vs_parent") && payload["speedup_vs_parent"].is_number()) {
    auto text = changes_text(payload["changes"]);
    if (text.empty())
      return;
    change_key k{pool.intern(item.family), pool.intern(text)};
    changes_.try_emplace(k, order).first->second[id_of_item()] =
        change_share{payload["speedup_vs_parent"].get<double>(), pool.intern(payload["changes"].dump()),
                     task_list(item.source_tasks)};
    keys.keys.push_back(tag(change_kind, change_id(k)));
    changed_changes_.insert(k);
  } else if (item.kind == "seed" && payload.contains("knobs") && payload["knobs"].is_object()) {
    auto family = pool.intern(item.family);
    seeds_[family] += 1;
    keys.seed_family = family;
    changed_seed_families_.insert(family);
    double speedup = payload.contains("speedup") && payload["speedup"].is_number()
                         ? payload["speedup"].get<double>()
                         : 0.0;
    auto tasks = task_list(item.source_tasks);
    for (const auto& [knob, value] : payload["knobs"].items()) {
      if (!value.is_number_integer())
        continue;
      value_key k{family, pool.intern(knob), value.get<int64_t>()};
      values_.try_emplace(k, order).first->second[id_of_item()] = value_share{speedup, tasks};
      keys.keys.push_back(tag(value_kind, value_id(k)));
      changed_values_.insert(k);
    }
  }
  if (!keys.keys.empty() || keys.seed_family != string_pool::npos) {
    keys.keys.shrink_to_fit();
    shares_.emplace(id_of_item(), std::move(keys));
  }
}

void insight_index::clear_changes() {
  all_changed_ = false;
  retire_.clear();
  changed_changes_.clear();
  changed_values_.clear();
  changed_seed_families_.clear();
  changed_words_refine_.clear();
  changed_words_draft_.clear();
}

consolidation insight_index::changes(int64_t now_ms) const {
  return build(all_changed_, now_ms);
}

consolidation insight_index::everything(int64_t now_ms) const {
  return build(true, now_ms);
}

consolidation insight_index::build(bool all, int64_t now_ms) const {
  const auto& cfg = cfg_;
  const auto& pool = *pool_;
  consolidation out;
  out.retire.assign(retire_.begin(), retire_.end());
  // The evidence of the chosen keys, gathered in item id order as a scan of the memory would,
  // keyed by the strings so that the insights come out in the order a scan gives them.
  std::map<std::pair<std::string, std::string>, change_evidence> changes;
  auto add_change = [&](const change_key& k) {
    auto bucket = changes_.find(k);
    if (bucket == changes_.end())
      return;
    auto& ev = changes[{pool.str(k.first), pool.str(k.second)}];
    for (const auto& [id, share] : bucket->second) {
      ev.effects.push_back(share.effect);
      add_tasks(share.tasks, ev.tasks);
    }
    ev.changes = nlohmann::json::parse(pool.view(bucket->second.rbegin()->second.changes), nullptr, false);
  };
  std::map<std::string, int64_t> seeds_per_family;
  for (const auto& [family, count] : seeds_)
    seeds_per_family[pool.str(family)] = count;
  std::map<std::tuple<std::string, std::string, int64_t>, value_evidence> values;
  auto add_value = [&](const value_key& k, const by_item<value_share>& bucket) {
    auto& ev = values[{pool.str(std::get<0>(k)), pool.str(std::get<1>(k)), std::get<2>(k)}];
    for (const auto& [id, share] : bucket) {
      ev.count += 1;
      ev.best_speedup = std::max(ev.best_speedup, share.speedup);
      add_tasks(share.tasks, ev.tasks);
    }
  };
  std::map<std::string, words_evidence> words_refine;
  std::map<std::string, words_evidence> words_draft;
  auto add_words = [&](std::map<std::string, words_evidence>& to, uint32_t key,
                       const std::map<uint32_t, by_item<words_share>>& from) {
    auto bucket = from.find(key);
    if (bucket == from.end())
      return;
    auto& ev = to[pool.str(key)];
    for (const auto& [id, share] : bucket->second)
      for (int64_t i = 0; i < share.times; ++i) {
        ev.steps += 1;
        if (share.timed)
          ev.effects.push_back(share.effect);
        else
          ev.failed_gates[pool.view(share.gate).empty() ? "unknown" : pool.str(share.gate)] += 1;
        add_tasks(share.tasks, ev.tasks);
        ev.families.insert(pool.str(share.family));
        if (share.updated_ms > ev.example_ms) {
          ev.example_ms = share.updated_ms;
          ev.example = pool.str(share.example);
        }
      }
  };
  if (all) {
    for (const auto& [k, bucket] : changes_)
      add_change(k);
    for (const auto& [k, bucket] : values_)
      add_value(k, bucket);
    for (const auto& [k, bucket] : words_refine_)
      add_words(words_refine, k, words_refine_);
    for (const auto& [k, bucket] : words_draft_)
      add_words(words_draft, k, words_draft_);
  } else {
    for (const auto& k : changed_changes_)
      add_change(k);
    for (const auto& k : changed_values_) {
      auto bucket = values_.find(k);
      if (bucket != values_.end())
        add_value(k, bucket->second);
    }
    // A family's seed count takes part in each of its value rules.
    for (auto family : changed_seed_families_)
      for (auto it = values_.lower_bound(value_key{family, 0, INT64_MIN});
           it != values_.end() && std::get<0>(it->first) == family; ++it)
        if (changed_values_.count(it->first) == 0)  // not added above
          add_value(it->first, it->second);
    for (auto k : changed_words_refine_)
      add_words(words_refine, k, words_refine_);
    for (auto k : changed_words_draft_)
      add_words(words_draft, k, words_draft_);
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

}  // namespace kforge::actors
