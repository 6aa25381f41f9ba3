#include "actors/retriever/memory_index.hpp"

#include <algorithm>
#include <utility>

namespace kforge::actors {

namespace {

constexpr uint32_t unknown = detail::name_table::unknown;
constexpr uint32_t npos = detail::item_store::npos;
constexpr uint32_t no_task = 0xFFFFFFFEU;  // the bucket task of an item with no source task

int class_of(bool draft, bool words, bool insight) {
  return (draft ? 0 : 4) + (words ? 2 : 0) + (insight ? 1 : 0);
}

}  // namespace

memory_index::memory_index(const ranking_config& cfg) : kb_cfg_(cfg) {
  auto& names = store_.names();
  seed_ = names.intern("seed");
  optimization_ = names.intern("optimization");
  trajectory_ = names.intern("trajectory");
  insight_ = names.intern("insight");
  technique_ = names.intern("technique");
  words_tag_ = names.intern(memory::words_tag);
  draft_tag_ = names.intern("draft");
  refine_tag_ = names.intern("refine");
  technique_tag_ = names.intern("technique");
  no_family_ = names.intern("");
}

memory_index::memory_index(std::vector<memory::memory_item> items, const ranking_config& cfg)
    : memory_index(cfg) {
  update(std::move(items));
}

void memory_index::update(std::vector<memory::memory_item> items) {
  for (const auto& item : items)
    put(item);
}

bool memory_index::id_less(const detail::slot_entry& a, const detail::slot_entry& b) const noexcept {
  if (a.key != b.key)
    return a.key < b.key;
  return store_.id(a.slot) < store_.id(b.slot);
}

bool memory_index::usable(uint32_t slot, bool draft) const noexcept {
  // As ranking.cpp's usable_in for the two stages.
  const auto& s = store_.at(slot);
  if (s.kind == insight_)
    return s.tag_count == 0 || store_.has_tag(slot, draft ? draft_tag_ : refine_tag_);
  if (draft)
    return s.kind == seed_;
  return s.kind == optimization_ || s.kind == trajectory_ || s.kind == seed_;
}

bool memory_index::is_kb_entry(uint32_t slot) const noexcept {
  const auto& s = store_.at(slot);
  return !s.retired && s.kind == optimization_ && s.samples > 0;
}

std::vector<uint32_t> memory_index::tasks_of(uint32_t slot) const {
  std::vector<uint32_t> tasks;
  for (uint32_t i = 0; i < store_.at(slot).task_count; ++i)
    tasks.push_back(store_.task(slot, i));
  std::sort(tasks.begin(), tasks.end());
  tasks.erase(std::unique(tasks.begin(), tasks.end()), tasks.end());
  if (tasks.empty())
    tasks.push_back(no_task);
  return tasks;
}

detail::kb_weights memory_index::weights_of(uint32_t slot) const noexcept {
  const auto& s = store_.at(slot);
  return detail::kb_weights_of(kb_score(s.mean_speedup, s.samples, kb_cfg_), kb_cfg_.kb_bound_match,
                               kb_cfg_.kb_family_match, kb_cfg_.kb_temperature);
}

bool memory_index::same_kb_settings(const ranking_config& cfg) const noexcept {
  return cfg.kb_temperature == kb_cfg_.kb_temperature && cfg.kb_use_penalty == kb_cfg_.kb_use_penalty &&
         cfg.kb_confidence_samples == kb_cfg_.kb_confidence_samples &&
         cfg.kb_bound_match == kb_cfg_.kb_bound_match && cfg.kb_family_match == kb_cfg_.kb_family_match;
}

bool memory_index::same_place(uint32_t slot, const memory::memory_item& item) const {
  const auto& s = store_.at(slot);
  const auto& names = store_.names();
  if (s.retired != item.retired || (s.samples > 0) != (item.samples > 0) || names.name(s.kind) != item.kind ||
      names.name(s.family) != item.family || names.name(s.state) != item.state ||
      s.tag_count != item.tags.size() || s.task_count != item.source_tasks.size())
    return false;
  for (uint32_t i = 0; i < s.tag_count; ++i)
    if (names.name(store_.tag(slot, i)) != item.tags[i])
      return false;
  for (uint32_t i = 0; i < s.task_count; ++i)
    if (names.name(store_.task(slot, i)) != item.source_tasks[i])
      return false;
  return true;
}

void memory_index::index_in(uint32_t slot) {
  const auto& s = store_.at(slot);
  auto& fam = families_[s.family];
  bool words = store_.has_tag(slot, words_tag_);
  if (!s.retired) {
    detail::slot_entry e{rank_collector::id_key(store_.id(slot)), slot};
    auto less = [this](const detail::slot_entry& a, const detail::slot_entry& b) { return id_less(a, b); };
    auto tasks = tasks_of(slot);
    for (bool draft : {true, false}) {
      if (!usable(slot, draft))
        continue;
      auto cls = static_cast<size_t>(class_of(draft, words, s.kind == insight_));
      for (auto task : tasks) {
        uint64_t at = (uint64_t{s.state} << 32U) | task;
        auto [it, added] = fam.bucket_at[cls].emplace(at, static_cast<uint32_t>(fam.buckets.size()));
        if (added) {
          fam.buckets.push_back(bucket{s.state, task, {}});
          fam.by_class[cls].push_back(it->second);
          fam.by_task[cls][task].push_back(it->second);
          fam.by_state[cls][s.state].push_back(it->second);
        }
        fam.buckets[it->second].slots.insert(e, less);
      }
    }
    if (is_kb_entry(slot)) {
      auto w = words ? size_t{1} : size_t{0};
      auto [it, added] = fam.kb_at[w].emplace(s.state, static_cast<uint32_t>(fam.kb[w].size()));
      if (added) {
        kb_group g;
        g.state = s.state;
        g.bound = store_.names().intern(family_bound_of(store_.names().name(s.state)));
        fam.kb[w].push_back(std::move(g));
      }
      auto& g = fam.kb[w][it->second];
      kb_pos_[slot] = static_cast<uint32_t>(g.slots.size());
      g.slots.push_back(slot);
      g.tree.push(weights_of(slot));
    }
  }
  if (s.kind == optimization_ && store_.has_tag(slot, technique_tag_))
    fam.evidence.push_back(slot);
  if (s.kind == technique_)
    techniques_.push_back(slot);
}

void memory_index::index_out(uint32_t slot) {
  const auto& s = store_.at(slot);
  auto& fam = families_[s.family];
  bool words = store_.has_tag(slot, words_tag_);
  if (!s.retired) {
    detail::slot_entry e{rank_collector::id_key(store_.id(slot)), slot};
    auto less = [this](const detail::slot_entry& a, const detail::slot_entry& b) { return id_less(a, b); };
    auto tasks = tasks_of(slot);
    for (bool draft : {true, false}) {
      if (!usable(slot, draft))
        continue;
      auto cls = static_cast<size_t>(class_of(draft, words, s.kind == insight_));
      for (auto task : tasks)
        fam.buckets[fam.bucket_at[cls].at((uint64_t{s.state} << 32U) | task)].slots.erase(e, less);
    }
    if (kb_pos_[slot] != npos) {
      auto w = words ? size_t{1} : size_t{0};
      auto& g = fam.kb[w][fam.kb_at[w].at(s.state)];
      auto pos = kb_pos_[slot];
      auto moved = g.slots.back();
      g.tree.swap_remove(pos);
      g.slots[pos] = moved;
      kb_pos_[moved] = pos;
      g.slots.pop_back();
      kb_pos_[slot] = npos;
    }
  }
  auto drop = [slot](std::vector<uint32_t>& v) {
    auto it = std::find(v.begin(), v.end(), slot);
    if (it != v.end()) {
      *it = v.back();
      v.pop_back();
    }
  };
  drop(fam.evidence);
  drop(techniques_);
}

void memory_index::put(const memory::memory_item& item) {
  auto slot = store_.find(item.id);
  if (slot == npos) {
    slot = store_.add(item);
    kb_pos_.push_back(npos);
    index_in(slot);
    return;
  }
  if (same_place(slot, item)) {  // the common commit: new values, same buckets
    store_.replace(slot, item);
    if (kb_pos_[slot] != npos) {
      const auto& s = store_.at(slot);
      auto w = store_.has_tag(slot, words_tag_) ? size_t{1} : size_t{0};
      auto& fam = families_[s.family];
      fam.kb[w][fam.kb_at[w].at(s.state)].tree.set(kb_pos_[slot], weights_of(slot));
    }
    return;
  }
  index_out(slot);
  store_.replace(slot, item);
  index_in(slot);
}

std::vector<memory_index::pick> memory_index::over_fetch(const context_query& query,
                                                         const ranking_config& cfg) const {
  std::vector<pick> out;
  if (!cfg.enabled || query.n <= 0)
    return out;
  auto fetch = static_cast<size_t>(std::max(1, cfg.lambda)) * static_cast<size_t>(query.n);
  bool draft = query.stage == "draft";
  bool words = query.policy == "openai";
  const auto& names = store_.names();
  auto q_state = query.state.empty() ? unknown : names.lookup(query.state);
  auto q_task = names.lookup(query.task_id);
  auto q_family = names.lookup(query.family);

  // A bucket offered to the merge, with the similarity every item of it scores.
  struct source {
    double score;
    const detail::ordered_slots* slots;
    bool own;
  };
  std::vector<source> sources;
  auto add_family = [&](const family_index& fam, double base, bool insights_only) {
    for (bool insight : {false, true}) {
      if (insights_only && !insight)
        continue;
      for (auto b : fam.by_class[static_cast<size_t>(class_of(draft, words, insight))]) {
        const auto& bk = fam.buckets[b];
        bool own = q_task != unknown && bk.task == q_task;
        if (bk.slots.empty() || (!cfg.cross_task && !own))
          continue;
        // The same sums as similarity(), so that equal scores compare equal.
        double score = base;
        if (!query.state.empty() && bk.state == q_state)
          score += 0.5;
        if (own)
          score += 0.25;
        sources.push_back({score, &bk.slots, own});
      }
    }
  };
  auto by_score = [](const source& a, const source& b) { return a.score > b.score; };
  struct head {
    const detail::slot_entry* e;
    detail::ordered_slots::cursor at;
    const source* from;
  };
  auto later = [this](const head& a, const head& b) { return id_less(*b.e, *a.e); };
  std::vector<head> heads;
  // Merges sources[from, to) (all of score `level`) in id order into `out`, up to `fetch`.
  auto merge = [&](size_t from, size_t to, double level) {
    heads.clear();
    for (size_t i = from; i < to; ++i) {
      detail::ordered_slots::cursor at;
      if (const auto* e = sources[i].slots->at(at))
        heads.push_back({e, at, &sources[i]});
    }
    std::make_heap(heads.begin(), heads.end(), later);
    uint32_t last = npos;
    while (!heads.empty() && out.size() < fetch) {
      std::pop_heap(heads.begin(), heads.end(), later);
      auto& h = heads.back();
      auto slot = h.e->slot;
      // An item of several source tasks sits in a bucket per task: it counts once, at the level
      // its own tasks give it.
      bool here = store_.at(slot).task_count <= 1 || store_.has_task(slot, q_task) == h.from->own;
      if (here && slot != last) {
        out.push_back({slot, h.e->key, level});
        last = slot;
      }
      h.from->slots->advance(h.at);
      h.e = h.from->slots->at(h.at);
      if (h.e != nullptr)
        std::push_heap(heads.begin(), heads.end(), later);
      else
        heads.pop_back();
    }
  };

  auto family_it = q_family == unknown ? families_.end() : families_.find(q_family);
  if (family_it != families_.end() && q_task != unknown && (query.state.empty() || q_state != unknown)) {
    // The most similar level alone (the query's family and task, and its state if it has one)
    // usually fills the over-fetch: then no other bucket is looked at. Each of its items sits
    // in one of its buckets, and counts there.
    const auto& fam = family_it->second;
    double level = 1.0;  // the sums of similarity()
    if (!query.state.empty())
      level += 0.5;
    level += 0.25;
    size_t held = 0;
    for (bool insight : {false, true}) {
      auto cls = static_cast<size_t>(class_of(draft, words, insight));
      if (query.state.empty()) {
        if (auto it = fam.by_task[cls].find(q_task); it != fam.by_task[cls].end())
          for (auto b : it->second)
            sources.push_back({level, &fam.buckets[b].slots, true});
      } else if (auto it = fam.bucket_at[cls].find((uint64_t{q_state} << 32U) | q_task);
                 it != fam.bucket_at[cls].end()) {
        sources.push_back({level, &fam.buckets[it->second].slots, true});
      }
    }
    for (const auto& src : sources)
      held += src.slots->size();
    if (held >= fetch) {
      merge(0, sources.size(), level);
      return out;
    }
    // Else the next level, with a state: the family's other tasks at the same state (no other
    // source scores as much: the no-family insights reach 1.35 at most). If the two fill the
    // over-fetch, the buckets of other states and families, at 1000 tasks most of them, are
    // never looked at; if not, the full walk below starts again from nothing.
    if (cfg.cross_task && !query.state.empty()) {
      merge(0, sources.size(), level);
      auto next = sources.size();
      for (bool insight : {false, true}) {
        auto cls = static_cast<size_t>(class_of(draft, words, insight));
        if (auto it = fam.by_state[cls].find(q_state); it != fam.by_state[cls].end())
          for (auto b : it->second)
            if (fam.buckets[b].task != q_task && !fam.buckets[b].slots.empty())
              sources.push_back({1.0 + 0.5, &fam.buckets[b].slots, false});
      }
      merge(next, sources.size(), 1.0 + 0.5);
      if (out.size() >= fetch)
        return out;
      out.clear();
    }
    sources.clear();
  }
  if (family_it != families_.end())
    add_family(family_it->second, 1.0, false);
  if (auto it = families_.find(no_family_); q_family != no_family_ && it != families_.end())
    add_family(it->second, 0.6, !cfg.cross_family);
  std::sort(sources.begin(), sources.end(), by_score);

  // Level by level, most similar first; within a level a merge in id order. The other families
  // join once a level is no more similar than their best possible score.
  double others_bound = similarity_bound("\x01other", query);
  bool others = false;
  size_t next = 0;
  while (out.size() < fetch) {
    if (!others && (next >= sources.size() || sources[next].score <= others_bound)) {
      others = true;
      for (const auto& [name, fam] : families_)
        if (name != q_family && name != no_family_)
          add_family(fam, 0.2, !cfg.cross_family);
      std::sort(sources.begin() + static_cast<std::ptrdiff_t>(next), sources.end(), by_score);
      continue;
    }
    if (next >= sources.size())
      break;
    double level = sources[next].score;
    size_t end = next;
    while (end < sources.size() && sources[end].score == level)
      ++end;
    merge(next, end, level);
    next = end;
  }
  return out;
}

std::vector<memory::memory_item> memory_index::kb_picks(const context_query& query,
                                                        const ranking_config& cfg) const {
  std::vector<memory::memory_item> out;
  if (!cfg.enabled || query.kb_n <= 0 || query.state.empty())
    return out;
  const auto& names = store_.names();
  auto q_family = names.lookup(query.family);
  auto it = q_family == unknown ? families_.end() : families_.find(q_family);
  if (it == families_.end())
    return out;
  const auto& groups = it->second.kb[query.policy == "openai" ? 1 : 0];
  if (cfg.use_values && cfg.cross_task && same_kb_settings(cfg)) {
    auto q_state = names.lookup(query.state);
    auto q_bound = names.lookup(family_bound_of(query.state));
    std::vector<detail::kb_source> sources;
    for (const auto& g : groups) {
      if (g.slots.empty())
        continue;
      int variant = g.state == q_state ? 0 : q_bound != unknown && g.bound == q_bound ? 1 : 2;
      sources.push_back({&g.tree, variant, &g.slots});
    }
    for (auto slot : detail::draw_kb(sources, query.kb_n, query.seed))
      out.push_back(store_.decode(slot));
    return out;
  }
  // Ablations and other kb settings: choose_kb itself over the family's entries.
  std::vector<memory::memory_item> entries;
  for (const auto& g : groups)
    for (auto slot : g.slots)
      entries.push_back(store_.decode(slot));
  std::vector<const memory::memory_item*> offered;
  for (const auto& e : entries)
    offered.push_back(&e);
  return choose_kb_among(offered, query, cfg);
}

std::vector<memory::memory_item> memory_index::decode_all() const {
  std::vector<memory::memory_item> out;
  out.reserve(store_.size());
  for (uint32_t slot = 0; slot < store_.size(); ++slot)
    out.push_back(store_.decode(slot));
  return out;
}

context_reply memory_index::query(const context_query& query, const ranking_config& cfg) const {
  context_reply reply;
  if (query.stage == "draft" || query.stage == "refine") {
    // Ranked on the packed values; only the chosen items are decoded.
    rank_collector ranked{query, cfg};
    for (const auto& p : over_fetch(query, cfg)) {
      const auto& packed = store_.at(p.slot);
      ranked.offer_slot(p.slot, store_.id(p.slot), packed.q1, packed.q2, p.sim, p.key);
    }
    for (auto slot : ranked.finish_slots())
      reply.items.push_back(store_.decode(slot));
  } else {  // a stage the buckets do not know: the plain ranking over every item
    reply.items = rank_items(decode_all(), query, cfg);
  }
  reply.kb = kb_picks(query, cfg);
  if (cfg.enabled && query.techniques) {
    const auto& names = store_.names();
    auto q_family = names.lookup(query.family);
    auto q_task = names.lookup(query.task_id);
    std::vector<uint32_t> evidence;
    if (auto it = families_.find(q_family); q_family != unknown && it != families_.end())
      for (auto slot : it->second.evidence)
        if (cfg.cross_task || store_.has_task(slot, q_task))
          evidence.push_back(slot);
    evidence.insert(evidence.end(), techniques_.begin(), techniques_.end());
    std::sort(evidence.begin(), evidence.end(),
              [this](uint32_t a, uint32_t b) { return store_.id(a) < store_.id(b); });
    for (auto slot : evidence)
      reply.techniques.push_back(store_.decode(slot));
  }
  return reply;
}

}  // namespace kforge::actors
