#pragma once

// The memory index as it was before the buckets (kforge commit bdef334: items by id, packed
// per-family entries, a query scans its whole family), kept for the scale bench's figures:
// header-only, in kforge::bench::scan. Nothing else may use it.

#include "actors/messages.hpp"
#include "actors/retriever/ranking.hpp"
#include "memory/records.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kforge::bench::scan {

// NOLINTBEGIN

using namespace kforge::actors;

class scan_index {
 public:
  scan_index() = default;
  explicit scan_index(std::vector<memory::memory_item> items);

  /// Adds the items, or replaces those of the same id. O(items given).
  void update(std::vector<memory::memory_item> items);

  /// rank_items, choose_kb and technique_evidence over the indexed items: the same reply as those
  /// functions over a pool of every indexed item (techniques in id order).
  [[nodiscard]] context_reply query(const context_query& query, const ranking_config& cfg) const;

  [[nodiscard]] size_t size() const noexcept { return items_.size(); }

 private:
  // What similarity() reads of an item, packed so that a bucket scan stays in cache.
  struct entry {
    uint64_t key = 0;  // rank_collector::id_key of the id
    uint32_t slot = 0;
    uint32_t state = 0;  // interned
    uint32_t task = 0;   // interned first source task
    uint8_t kind = 0;    // kind_code
    uint8_t flags = 0;   // entry_flag bits
    bool kb = false;     // an optimization with samples: a knowledge-base entry if it serves the policy
  };
  [[nodiscard]] entry entry_of(uint32_t slot, const memory::memory_item& item);
  [[nodiscard]] uint32_t intern(const std::string& name);
  [[nodiscard]] uint32_t lookup(const std::string& name) const noexcept;
  void put(memory::memory_item item);
  void remove_from_bucket(const std::string& family, uint32_t slot);

  std::deque<memory::memory_item> items_;           // a deque: growing never moves the stored items
  std::vector<uint32_t> pos_;                       // slot -> index of its entry in its family's bucket
  std::unordered_map<std::string, uint32_t> slot_;  // id -> slot
  std::unordered_map<std::string, std::vector<entry>> by_family_;  // family ("" too) -> entries
  std::vector<uint32_t> techniques_;                               // slots of kind "technique"
  std::unordered_map<std::string, uint32_t> names_;                // interned states and tasks
};

namespace scan_detail {

enum kind_code : uint8_t { other, seed, optimization, trajectory, insight, technique };

enum entry_flag : uint8_t {
  retired = 1,
  words = 2,
  tags_empty = 4,
  tag_draft = 8,
  tag_refine = 16,
  multi_task = 32,  // more than one source task: from_task reads the item
};

constexpr uint32_t unknown_name = std::numeric_limits<uint32_t>::max();

inline kind_code code_of_kind(const std::string& kind) {
  if (kind == "seed")
    return seed;
  if (kind == "optimization")
    return optimization;
  if (kind == "trajectory")
    return trajectory;
  if (kind == "insight")
    return insight;
  if (kind == "technique")
    return technique;
  return other;
}

inline bool has_tag(const memory::memory_item& item, const char* tag) {
  return std::find(item.tags.begin(), item.tags.end(), tag) != item.tags.end();
}

}  // namespace scan_detail

using namespace scan_detail;

inline scan_index::scan_index(std::vector<memory::memory_item> items) {
  slot_.reserve(items.size());
  update(std::move(items));
}

inline void scan_index::update(std::vector<memory::memory_item> items) {
  for (auto& item : items)
    put(std::move(item));
}

inline uint32_t scan_index::intern(const std::string& name) {
  auto [it, added] = names_.emplace(name, static_cast<uint32_t>(names_.size()));
  return it->second;
}

inline uint32_t scan_index::lookup(const std::string& name) const noexcept {
  auto it = names_.find(name);
  return it == names_.end() ? unknown_name : it->second;
}

inline scan_index::entry scan_index::entry_of(uint32_t slot, const memory::memory_item& item) {
  entry e;
  e.key = rank_collector::id_key(item.id);
  e.slot = slot;
  e.kb = item.kind == "optimization" && item.samples > 0;
  e.state = intern(item.state);
  e.task = item.source_tasks.empty() ? unknown_name : intern(item.source_tasks.front());
  e.kind = code_of_kind(item.kind);
  e.flags = static_cast<uint8_t>(
      (item.retired ? retired : 0) | (memory::is_in_words(item) ? words : 0) |
      (item.tags.empty() ? tags_empty : 0) | (has_tag(item, "draft") ? tag_draft : 0) |
      (has_tag(item, "refine") ? tag_refine : 0) | (item.source_tasks.size() > 1 ? multi_task : 0));
  return e;
}

inline void scan_index::remove_from_bucket(const std::string& family, uint32_t slot) {
  auto& bucket = by_family_[family];
  auto at = pos_[slot];
  bucket[at] = bucket.back();
  pos_[bucket[at].slot] = at;
  bucket.pop_back();
}

inline void scan_index::put(memory::memory_item item) {
  auto found = slot_.find(item.id);
  if (found == slot_.end()) {
    auto slot = static_cast<uint32_t>(items_.size());
    slot_.emplace(item.id, slot);
    auto& bucket = by_family_[item.family];
    pos_.push_back(static_cast<uint32_t>(bucket.size()));
    bucket.push_back(entry_of(slot, item));
    if (item.kind == "technique")
      techniques_.push_back(slot);
    items_.push_back(std::move(item));
    return;
  }
  // Replaced in place; the entry moves only when the family changed (rare).
  auto slot = found->second;
  auto& stored = items_[slot];
  if (stored.family != item.family) {
    remove_from_bucket(stored.family, slot);
    auto& bucket = by_family_[item.family];
    pos_[slot] = static_cast<uint32_t>(bucket.size());
    bucket.push_back(entry_of(slot, item));
  } else {
    by_family_[item.family][pos_[slot]] = entry_of(slot, item);
  }
  bool was_technique = stored.kind == "technique";
  bool is_technique = item.kind == "technique";
  if (was_technique && !is_technique)
    techniques_.erase(std::find(techniques_.begin(), techniques_.end(), slot));
  else if (!was_technique && is_technique)
    techniques_.push_back(slot);
  stored = std::move(item);
}

inline context_reply scan_index::query(const context_query& query, const ranking_config& cfg) const {
  context_reply reply;
  static const std::vector<entry> none;
  auto family_it = by_family_.find(query.family);
  const auto& family = family_it == by_family_.end() ? none : family_it->second;

  // similarity() from the packed entries, with the same sums; a stage other than draft or
  // refine, or an item of several source tasks, is scored from the item itself.
  bool known_stage = query.stage == "draft" || query.stage == "refine";
  bool draft = query.stage == "draft";
  bool openai = query.policy == "openai";
  auto q_state = query.state.empty() ? unknown_name : lookup(query.state);
  auto q_task = lookup(query.task_id);
  rank_collector ranked{query, cfg};
  auto scan = [&](const std::vector<entry>& bucket, bool same_family, double base) {
    for (const auto& e : bucket) {
      const auto& item = items_[e.slot];
      if (!known_stage || (e.flags & multi_task) != 0) {
        ranked.offer(item);
        continue;
      }
      if ((e.flags & retired) != 0 || ((e.flags & words) != 0) != openai)
        continue;
      bool usable = e.kind == insight ? (e.flags & (tags_empty | (draft ? tag_draft : tag_refine))) != 0
                    : draft           ? e.kind == seed
                                      : e.kind == optimization || e.kind == trajectory || e.kind == seed;
      if (!usable || (!cfg.cross_family && !same_family && e.kind != insight))
        continue;
      bool own = e.task == q_task && q_task != unknown_name;
      if (!cfg.cross_task && !own)
        continue;
      double score = base;
      if (!query.state.empty() && e.state == q_state)
        score += 0.5;
      if (own)
        score += 0.25;
      ranked.offer(item, score, e.key);
    }
  };
  auto base_of = [&](const std::string& name) {
    return name == query.family ? 1.0 : name.empty() ? 0.6 : 0.2;
  };
  // Most similar first: the query's family, then family-less insights, then the other
  // families, each only while one of its items could still be kept.
  scan(family, true, 1.0);
  if (!query.family.empty()) {
    auto shared = by_family_.find("");
    if (shared != by_family_.end() && ranked.wants_above(similarity_bound("", query)))
      scan(shared->second, false, base_of(""));
  }
  if (ranked.wants_above(similarity_bound("\x01other", query)))
    for (const auto& [name, bucket] : by_family_) {
      if (name == query.family || name.empty())
        continue;
      scan(bucket, false, base_of(name));
      if (!ranked.wants_above(similarity_bound(name, query)))
        break;
    }
  reply.items = ranked.finish();

  if (cfg.enabled && query.kb_n > 0 && !query.state.empty()) {
    std::vector<const memory::memory_item*> offered;
    for (const auto& e : family)
      if (e.kb && (e.flags & retired) == 0 && ((e.flags & words) != 0) == openai)
        offered.push_back(&items_[e.slot]);
    reply.kb = choose_kb_among(offered, query, cfg);
  }

  if (cfg.enabled && query.techniques) {
    std::vector<const memory::memory_item*> evidence;
    for (const auto& e : family)
      if (e.kind == optimization && is_technique_evidence(items_[e.slot], query, cfg))
        evidence.push_back(&items_[e.slot]);
    for (auto slot : techniques_)
      evidence.push_back(&items_[slot]);
    std::sort(evidence.begin(), evidence.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
    for (const auto* e : evidence)
      reply.techniques.push_back(*e);
  }
  return reply;
}

// NOLINTEND

}  // namespace kforge::bench::scan
