#include "actors/llm_proxy/offline_policy.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/rng.hpp"
#include "runtime/base/text_memo.hpp"

#include "actors/curator/memory_rules.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <utility>

namespace kforge::actors {

namespace {

using settings = std::vector<kforge::knob_setting>;

const kforge::knob* find_knob(const kforge::task_def& task, const std::string& name) {
  for (const auto& k : task.knobs)
    if (k.name == name)
      return &k;
  return nullptr;
}

bool allows(const kforge::knob& k, int64_t value) {
  return std::find(k.values.begin(), k.values.end(), value) != k.values.end();
}

int64_t random_value(const kforge::knob& k, kforge::splitmix64& rng) {
  std::uniform_int_distribution<size_t> pick{0, k.values.size() - 1};
  return k.values[pick(rng)];
}

settings random_settings(const kforge::task_def& task, kforge::splitmix64& rng) {
  settings out;
  for (const auto& k : task.knobs)
    out.push_back({k.name, random_value(k, rng)});
  return out;
}

// Sets knob `name` to `value` in `s`, returning the old value.
int64_t set_knob(settings& s, const std::string& name, int64_t value) {
  for (auto& x : s) {
    if (x.name == name) {
      auto old = x.value;
      x.value = value;
      return old;
    }
  }
  s.push_back({name, value});
  return value;
}

// Changes one random knob that has an alternative to a different value; returns its description.
std::string random_change(const kforge::task_def& task, settings& s, kforge::splitmix64& rng) {
  std::vector<const kforge::knob*> movable;
  for (const auto& k : task.knobs)
    if (k.values.size() > 1)
      movable.push_back(&k);
  if (movable.empty())
    return {};
  std::uniform_int_distribution<size_t> pick{0, movable.size() - 1};
  const auto& k = *movable[pick(rng)];
  int64_t current = 0;
  for (const auto& x : s)
    if (x.name == k.name)
      current = x.value;
  int64_t next = current;
  while (next == current)
    next = random_value(k, rng);
  set_knob(s, k.name, next);
  return k.name + " " + std::to_string(current) + "->" + std::to_string(next);
}

bool contains(const std::vector<settings>& list, const settings& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// What a payload says about knobs, parsed once: a seed's "knobs" object (integer values) and an
// optimization's "changes" list, in payload order. Memory items are drawn into many steps' context,
// so each thread keeps its recent payloads' parses (a pure function of the text, so results never
// depend on the cache); it is emptied when it reaches its bound.
struct payload_knobs {
  std::vector<std::pair<std::string, int64_t>> knobs;
  std::vector<std::pair<std::string, int64_t>> changes;
};

payload_knobs parse_payload_knobs(const std::string& text) {
  payload_knobs out;
  auto payload = nlohmann::json::parse(text, nullptr, false);
  if (payload.is_discarded() || !payload.is_object())
    return out;
  auto knobs = payload.find("knobs");
  if (knobs != payload.end() && knobs->is_object())
    for (auto it = knobs->begin(); it != knobs->end(); ++it)
      if (it->is_number_integer())
        out.knobs.emplace_back(it.key(), it->get<int64_t>());
  auto changes = payload.find("changes");
  if (changes != payload.end() && changes->is_array())
    for (const auto& c : *changes) {
      if (!c.is_object())
        continue;
      auto knob = c.find("knob");
      auto value = c.find("value");
      if (knob != c.end() && value != c.end() && knob->is_string() && value->is_number_integer())
        out.changes.emplace_back(knob->get<std::string>(), value->get<int64_t>());
    }
  return out;
}

const payload_knobs& payload_knobs_of(const std::string& text) {
  return memo_by_text(text, [](const std::string& t) { return parse_payload_knobs(t); });
}

}  // namespace

settings seed_settings(const memory::memory_item& item, const kforge::task_def& task) {
  settings out;
  const auto& knobs = payload_knobs_of(item.payload).knobs;
  for (const auto& k : task.knobs) {
    auto it = std::find_if(knobs.begin(), knobs.end(), [&](const auto& x) { return x.first == k.name; });
    if (it != knobs.end() && allows(k, it->second))
      out.push_back({k.name, it->second});
  }
  return out;
}

settings optimization_changes(const memory::memory_item& item, const kforge::task_def& task) {
  settings out;
  for (const auto& [name, value] : payload_knobs_of(item.payload).changes) {
    const auto* k = find_knob(task, name);
    if (k != nullptr && allows(*k, value))
      out.push_back({k->name, value});
  }
  return out;
}

bool offline_policy::exhausted(const kforge::task_def& task, const std::vector<uint64_t>& tried) {
  uint64_t size = 1;
  for (const auto& k : task.knobs) {
    if (k.values.empty())
      return false;
    size *= k.values.size();
    if (size > space_bound)
      return false;
  }
  if (tried.size() < size)
    return false;  // fewer settings tried than the space holds
  // Every setting, in the task's knob order, as an odometer over the knobs' values.
  settings s;
  for (const auto& k : task.knobs)
    s.push_back({k.name, k.values.front()});
  std::vector<size_t> at(task.knobs.size(), 0);
  for (uint64_t n = 0; n < size; ++n) {
    if (!was_tried(tried, settings_fingerprint(s)))
      return false;
    for (size_t i = 0; i < at.size(); ++i) {
      if (++at[i] < task.knobs[i].values.size()) {
        s[i].value = task.knobs[i].values[at[i]];
        break;
      }
      at[i] = 0;
      s[i].value = task.knobs[i].values.front();
    }
  }
  return true;
}

std::vector<proposal> offline_policy::propose(const kforge::task_def& task,
                                              const policy_request& request) const {
  std::vector<proposal> out;
  kforge::splitmix64 rng{request.seed};
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  std::vector<settings> chosen;  // this step's; request.tried (every earlier setting) is not copied
  bool refine = request.stage == "refine" && !request.parent.empty();
  // Memory to draw on, in order: in refine the knowledge-base picks for the parent's
  // state first, then the value-ranked context (best first); each item once.
  std::vector<const memory::memory_item*> items;
  auto add_item = [&items](const memory::memory_item& m) {
    if (std::none_of(items.begin(), items.end(), [&](const auto* x) { return x->id == m.id; }))
      items.push_back(&m);
  };
  if (refine)
    for (const auto& m : request.kb)
      add_item(m);
  for (const auto& m : request.context)
    add_item(m);
  size_t next_item = 0;
  for (int32_t i = 0; i < request.k; ++i) {
    proposal best_effort;
    for (int32_t attempt = 0; attempt < cfg_.max_tries; ++attempt) {
      proposal p;
      settings s;
      bool use_memory = next_item < items.size() && coin(rng) >= cfg_.explore;
      if (!refine) {
        s = random_settings(task, rng);
        p.optimization = "draft";
        if (use_memory) {
          const auto& item = *items[next_item++];
          auto seeded = seed_settings(item, task);
          for (const auto& x : seeded)
            set_knob(s, x.name, x.value);
          if (!seeded.empty()) {
            p.context_ids.push_back(item.id);
            p.optimization = item.kind == "insight" ? "draft from insight" : "draft from seed";
          }
        }
      } else {
        s = request.parent.front().knobs;
        for (const auto& k : task.knobs)  // a parent from an older template may lack a knob
          if (std::none_of(s.begin(), s.end(), [&](const auto& x) { return x.name == k.name; }))
            s.push_back({k.name, k.values.front()});
        std::string name;
        if (use_memory) {
          const auto& item = *items[next_item++];
          // An optimization, trajectory step or insight names its changes; a seed is a
          // setting that was feasible and fast elsewhere: move toward it.
          auto changes = optimization_changes(item, task);
          if (changes.empty())
            changes = seed_settings(item, task);
          auto before = s;
          for (const auto& c : changes)
            set_knob(s, c.name, c.value);
          auto applied = knob_changes(before, s);
          if (!applied.empty()) {
            p.context_ids.push_back(item.id);
            name = format_settings(applied);
          }
        }
        if (name.empty() || coin(rng) < cfg_.second_change) {
          auto extra = random_change(task, s, rng);
          name = name.empty() ? extra : name + ", " + extra;
        }
        p.optimization = name;
      }
      p.knobs = s;
      if (attempt == 0)
        best_effort = p;
      if (!was_tried(request.tried, settings_fingerprint(s)) && !contains(chosen, s)) {
        best_effort = std::move(p);
        break;
      }
    }
    // Rendered once, for the attempt kept: a rendering is the step's largest string.
    best_effort.source = hardware::render_template(task, best_effort.knobs);
    chosen.push_back(best_effort.knobs);
    out.push_back(std::move(best_effort));
  }
  return out;
}

}  // namespace kforge::actors
