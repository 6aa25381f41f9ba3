#include "actors/retriever/ranking.hpp"
#include "runtime/base/rng.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace kforge::actors {

namespace {

bool usable_in(const memory::memory_item& item, const std::string& stage) {
  const auto& kind = item.kind;
  if (kind == "insight")  // consolidated insights are tagged with the stage they serve
    return item.tags.empty() || std::find(item.tags.begin(), item.tags.end(), stage) != item.tags.end();
  if (stage == "draft")
    return kind == "seed";
  // Refinement may also jump toward a feasible setting that was fast elsewhere (a seed).
  return kind == "optimization" || kind == "trajectory" || kind == "seed";
}

// A model reads items in words; the offline policy applies knob settings and changes.
bool serves(const memory::memory_item& item, const std::string& policy) {
  return memory::is_in_words(item) == (policy == "openai");
}

bool from_task(const memory::memory_item& item, const std::string& task_id) {
  return std::find(item.source_tasks.begin(), item.source_tasks.end(), task_id) != item.source_tasks.end();
}

}  // namespace

double similarity(const memory::memory_item& item, const context_query& query, bool cross_family) noexcept {
  if (item.retired || !usable_in(item, query.stage) || !serves(item, query.policy))
    return 0.0;
  // Settings and knob changes transfer within a family (knob names mean different
  // things across templates); across families only distilled insights do.
  if (!cross_family && item.family != query.family && item.kind != "insight")
    return 0.0;
  // An insight consolidated across families (no family of its own) sits between the two.
  double score = item.family == query.family ? 1.0 : item.family.empty() ? 0.6 : 0.2;
  if (!query.state.empty() && item.state == query.state)
    score += 0.5;
  if (from_task(item, query.task_id))
    score += 0.25;
  return score;
}

std::string family_bound_of(const std::string& state) {
  auto first = state.find('|');
  if (first == std::string::npos)
    return state;
  auto second = state.find('|', first + 1);
  return state.substr(0, second);
}

double kb_score(const memory::memory_item& item, const ranking_config& cfg) noexcept {
  return kb_score(item.mean_speedup, item.samples, cfg);
}

double kb_score(double mean_speedup, int64_t samples, const ranking_config& cfg) noexcept {
  double confidence =
      std::clamp(static_cast<double>(samples) / std::max(1e-9, cfg.kb_confidence_samples), 0.1, 1.0);
  return mean_speedup * confidence -
         cfg.kb_use_penalty * std::log1p(static_cast<double>(std::max<int64_t>(0, samples)));
}

std::vector<memory::memory_item> choose_kb(const std::vector<memory::memory_item>& pool,
                                           const context_query& query, const ranking_config& cfg) {
  std::vector<const memory::memory_item*> all;
  all.reserve(pool.size());
  for (const auto& item : pool)
    all.push_back(&item);
  return choose_kb_among(all, query, cfg);
}

std::vector<memory::memory_item> choose_kb_among(const std::vector<const memory::memory_item*>& offered,
                                                 const context_query& query, const ranking_config& cfg) {
  std::vector<memory::memory_item> out;
  if (!cfg.enabled || query.kb_n <= 0 || query.state.empty())
    return out;
  // The state indexes the base: an entry recorded in the query's exact state counts
  // fully, one of the same bound partly, one of another state of the family a little.
  std::vector<const memory::memory_item*> entries;
  std::vector<double> match;
  auto bound = family_bound_of(query.state);
  for (const auto* p : offered) {
    const auto& item = *p;
    if (item.retired || item.kind != "optimization" || item.family != query.family || item.samples <= 0 ||
        !serves(item, query.policy))
      continue;
    if (!cfg.cross_task && !from_task(item, query.task_id))
      continue;
    entries.push_back(&item);
  }
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  for (const auto* e : entries)
    match.push_back(e->state == query.state              ? 1.0
                    : family_bound_of(e->state) == bound ? cfg.kb_bound_match
                                                         : cfg.kb_family_match);
  kforge::splitmix64 rng{query.seed ^ 0x6b62ULL};
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  double temperature = std::max(1e-6, cfg.kb_temperature);
  while (!entries.empty() && out.size() < static_cast<size_t>(query.kb_n)) {
    std::vector<double> scores;
    double top = -1e300;
    for (size_t i = 0; i < entries.size(); ++i) {
      scores.push_back(kb_score(*entries[i], cfg) * match[i]);
      top = std::max(top, scores.back());
    }
    std::vector<double> weights;
    double total = 0;
    for (double sc : scores) {
      double w = cfg.use_values ? std::exp((sc - top) / temperature) : 1.0;
      weights.push_back(w);
      total += w;
    }
    double r = unit(rng) * total;
    size_t pick = 0;
    for (; pick + 1 < entries.size(); ++pick) {
      r -= weights[pick];
      if (r < 0)
        break;
    }
    out.push_back(*entries[pick]);
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(pick));
    match.erase(match.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return out;
}

std::vector<memory::memory_item> technique_evidence(const std::vector<memory::memory_item>& pool,
                                                    const context_query& query, const ranking_config& cfg) {
  std::vector<memory::memory_item> out;
  for (const auto& item : pool)
    if (is_technique_evidence(item, query, cfg))
      out.push_back(item);
  return out;
}

double similarity_bound(const std::string& family, const context_query& query) noexcept {
  // The same sums as similarity(), so a bound equals the best score exactly.
  double score = family == query.family ? 1.0 : family.empty() ? 0.6 : 0.2;
  if (!query.state.empty())
    score += 0.5;
  score += 0.25;
  return score;
}

bool is_technique_evidence(const memory::memory_item& item, const context_query& query,
                           const ranking_config& cfg) {
  if (!cfg.enabled || !query.techniques)
    return false;
  bool entry = item.kind == "optimization" && item.family == query.family &&
               std::find(item.tags.begin(), item.tags.end(), "technique") != item.tags.end() &&
               (cfg.cross_task || from_task(item, query.task_id));
  return entry || item.kind == "technique";
}

rank_collector::rank_collector(const context_query& query, const ranking_config& cfg)
    : query_(query), cfg_(cfg) {
  if (cfg.enabled && query.n > 0)
    fetch_ = static_cast<size_t>(std::max(1, cfg.lambda)) * static_cast<size_t>(query.n);
  heap_.reserve(fetch_);
}

bool rank_collector::more_similar(const scored& a, const scored& b) noexcept {
  if (a.sim != b.sim)
    return a.sim > b.sim;
  return a.key != b.key ? a.key < b.key : a.id < b.id;
}

uint64_t rank_collector::id_key(std::string_view id) noexcept {
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i)
    key = (key << 8U) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0U);
  return key;
}

void rank_collector::offer(const memory::memory_item& item) {
  if (fetch_ == 0)
    return;
  if (!cfg_.cross_task && !from_task(item, query_.task_id))
    return;
  offer(item, similarity(item, query_, cfg_.cross_family));
}

void rank_collector::offer(const memory::memory_item& item, double sim) {
  if (fetch_ == 0 || sim <= 0)
    return;
  offer(item, sim, id_key(item.id));
}

void rank_collector::offer(const memory::memory_item& item, double sim, uint64_t key) {
  if (fetch_ == 0 || sim <= 0)
    return;
  keep({&item, 0, sim, key, item.q1, item.q2, item.id});
}

void rank_collector::offer_slot(uint32_t slot, std::string_view id, double q1, double q2, double sim,
                                uint64_t key) {
  if (fetch_ == 0 || sim <= 0)
    return;
  keep({nullptr, slot, sim, key, q1, q2, id});
}

void rank_collector::keep(const scored& s) {
  // more_similar as the heap's "less": the front is the least similar kept item.
  if (heap_.size() < fetch_) {
    heap_.push_back(s);
    std::push_heap(heap_.begin(), heap_.end(), more_similar);
  } else if (more_similar(s, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), more_similar);
    heap_.back() = s;
    std::push_heap(heap_.begin(), heap_.end(), more_similar);
  }
}

bool rank_collector::wants_above(double bound) const noexcept {
  return fetch_ > 0 && (heap_.size() < fetch_ || heap_.front().sim <= bound);
}

std::vector<rank_collector::scored> rank_collector::choose() {
  std::vector<scored> out;
  if (fetch_ == 0)
    return out;
  // Over-fetched lambda*N by similarity; ties broken by id so the order is stable.
  std::vector<scored> candidates = std::move(heap_);
  heap_.clear();
  std::sort(candidates.begin(), candidates.end(), more_similar);
  auto n = static_cast<size_t>(query_.n);
  if (!cfg_.use_values) {
    for (size_t i = 0; i < candidates.size() && out.size() < n; ++i)
      out.push_back(candidates[i]);
    return out;
  }
  // Keep N by the stage's Q, epsilon-greedy: each slot is random with probability epsilon.
  bool draft = query_.stage == "draft";
  auto value = [draft](const scored& s) { return draft ? s.q1 : s.q2; };
  // Drafting ties (every feasible seed earns the same Q1) are broken by Q2, whose prior
  // for a seed says how fast its setting was.
  std::stable_sort(candidates.begin(), candidates.end(), [&](const scored& a, const scored& b) {
    if (value(a) != value(b))
      return value(a) > value(b);
    return draft && a.q2 > b.q2;
  });
  kforge::splitmix64 rng{query_.seed};
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  while (!candidates.empty() && out.size() < n) {
    size_t pick = 0;
    if (candidates.size() > 1 && coin(rng) < cfg_.epsilon) {
      std::uniform_int_distribution<size_t> any{0, candidates.size() - 1};
      pick = any(rng);
    }
    out.push_back(candidates[pick]);
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return out;
}

std::vector<memory::memory_item> rank_collector::finish() {
  std::vector<memory::memory_item> out;
  for (const auto& s : choose())
    out.push_back(*s.item);
  return out;
}

std::vector<uint32_t> rank_collector::finish_slots() {
  std::vector<uint32_t> out;
  for (const auto& s : choose())
    out.push_back(s.slot);
  return out;
}

std::vector<memory::memory_item> rank_items(const std::vector<memory::memory_item>& pool,
                                            const context_query& query, const ranking_config& cfg) {
  rank_collector collector{query, cfg};
  for (const auto& item : pool)
    collector.offer(item);
  return collector.finish();
}

}  // namespace kforge::actors
