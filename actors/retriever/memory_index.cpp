#include "actors/retriever/memory_index.hpp"

#include <algorithm>
#include <utility>

namespace kforge::actors {

namespace {

void remove_slot(std::vector<uint32_t>& slots, uint32_t slot) {
  auto it = std::find(slots.begin(), slots.end(), slot);
  if (it != slots.end()) {
    *it = slots.back();
    slots.pop_back();
  }
}

}  // namespace

memory_index::memory_index(std::vector<memory::memory_item> items) {
  slot_.reserve(items.size());
  update(std::move(items));
}

void memory_index::update(std::vector<memory::memory_item> items) {
  for (auto& item : items)
    put(std::move(item));
}

void memory_index::put(memory::memory_item item) {
  auto found = slot_.find(item.id);
  if (found == slot_.end()) {
    auto slot = static_cast<uint32_t>(items_.size());
    slot_.emplace(item.id, slot);
    by_family_[item.family].push_back(slot);
    if (item.kind == "technique")
      techniques_.push_back(slot);
    items_.push_back(std::move(item));
    return;
  }
  // Replaced in place; the buckets move only when the family or kind changed (rare).
  auto slot = found->second;
  auto& stored = items_[slot];
  if (stored.family != item.family) {
    remove_slot(by_family_[stored.family], slot);
    by_family_[item.family].push_back(slot);
  }
  bool was_technique = stored.kind == "technique";
  bool is_technique = item.kind == "technique";
  if (was_technique && !is_technique)
    remove_slot(techniques_, slot);
  else if (!was_technique && is_technique)
    techniques_.push_back(slot);
  stored = std::move(item);
}

context_reply memory_index::query(const context_query& query, const ranking_config& cfg) const {
  context_reply reply;
  static const std::vector<uint32_t> none;
  auto family_it = by_family_.find(query.family);
  const auto& family = family_it == by_family_.end() ? none : family_it->second;

  // Most similar first: the query's family, then family-less insights, then the other
  // families, each only while one of its items could still be kept.
  rank_collector ranked{query, cfg};
  for (auto slot : family)
    ranked.offer(items_[slot]);
  if (!query.family.empty()) {
    auto shared = by_family_.find("");
    if (shared != by_family_.end() && ranked.wants_above(similarity_bound("", query)))
      for (auto slot : shared->second)
        ranked.offer(items_[slot]);
  }
  if (ranked.wants_above(similarity_bound("\x01other", query)))
    for (const auto& [name, slots] : by_family_) {
      if (name == query.family || name.empty())
        continue;
      for (auto slot : slots)
        ranked.offer(items_[slot]);
      if (!ranked.wants_above(similarity_bound(name, query)))
        break;
    }
  reply.items = ranked.finish();

  if (cfg.enabled && query.kb_n > 0 && !query.state.empty()) {
    std::vector<const memory::memory_item*> offered;
    offered.reserve(family.size());
    for (auto slot : family)
      offered.push_back(&items_[slot]);
    reply.kb = choose_kb_among(offered, query, cfg);
  }

  if (cfg.enabled && query.techniques) {
    std::vector<const memory::memory_item*> evidence;
    for (auto slot : family)
      if (items_[slot].kind != "technique" && is_technique_evidence(items_[slot], query, cfg))
        evidence.push_back(&items_[slot]);
    for (auto slot : techniques_)
      evidence.push_back(&items_[slot]);
    std::sort(evidence.begin(), evidence.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
    for (const auto* e : evidence)
      reply.techniques.push_back(*e);
  }
  return reply;
}

}  // namespace kforge::actors
