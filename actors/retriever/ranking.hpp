#pragma once

// Value-driven retrieval (EvoKernel): over-fetch lambda*N items by similarity
// to the query, then keep N by the stage's Q value, epsilon-greedy.

#include "actors/messages.hpp"
#include "memory/records.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::actors {

/// Retrieval constants and ablation switches; from the campaign config.
struct ranking_config {
  int32_t lambda = 5;      ///< over-fetch factor
  double epsilon = 0.1;    ///< share of slots filled at random from the over-fetched set
  bool use_values = true;  ///< false: similarity only (ablation)
  bool cross_task = true;  ///< false: only items that came from the querying task (ablation)
  bool enabled = true;     ///< false: no memory at all (ablation)
  // The state-indexed knowledge base: how a state's past actions are sampled.
  double kb_temperature = 0.5;       ///< softmax temperature over predicted speedup x confidence
  double kb_use_penalty = 0.1;       ///< score penalty per log(1 + uses): heavy use lowers the odds
  double kb_confidence_samples = 5;  ///< samples for full confidence; confidence = clamp(n / this, 0.1, 1)
  double kb_bound_match = 0.6;       ///< weight of an entry from another efficiency bucket of the same bound
  double kb_family_match = 0.3;      ///< weight of an entry from another bound of the same family
  bool cross_family =
      true;  ///< seeds and changes of other families may fill the context (else insights only)
};

/// Similarity of an item to a query in [0, 2]: same family weighs most, then
/// the same performance state, then items from the same task. Items of a kind
/// the stage cannot use score 0 (draft uses seeds and insights; refine uses
/// optimizations, trajectory steps, seeds and insights), and so do retired items,
/// items the query's policy cannot read (the openai policy gets only items in words,
/// memory::is_in_words; any other policy only the others) and, with `cross_family` off,
/// items of another family other than insights. An insight with no family (consolidated
/// across families) scores between the same family and another.
[[nodiscard]] double similarity(const memory::memory_item& item, const context_query& query,
                                bool cross_family = true) noexcept;

/// The bound part of a state signature: "family|bound|effN|source" -> "family|bound".
[[nodiscard]] std::string family_bound_of(const std::string& state);

/// Knowledge-base score of an optimization item: mean measured speedup over the parent
/// (0 for an infeasible child) times confidence, minus kb_use_penalty * log(1 + samples).
[[nodiscard]] double kb_score(const memory::memory_item& item, const ranking_config& cfg) noexcept;

/// kb_score of an item with these statistics.
[[nodiscard]] double kb_score(double mean_speedup, int64_t samples, const ranking_config& cfg) noexcept;

/// Draws up to query.kb_n optimization items of query.family that the query's policy can
/// read (as in similarity) without replacement, by
/// softmax over kb_score x state match / kb_temperature, where the state match is 1 for
/// query.state, kb_bound_match for the same bound, kb_family_match otherwise. With use_values off the draw is
/// uniform (similarity only); cross_task off keeps the querying task's items. Deterministic for query.seed.
[[nodiscard]] std::vector<memory::memory_item> choose_kb(const std::vector<memory::memory_item>& pool,
                                                         const context_query& query,
                                                         const ranking_config& cfg);

/// choose_kb over the items `offered` (pointers into a pool; any order, e.g. one family's items).
[[nodiscard]] std::vector<memory::memory_item> choose_kb_among(
    const std::vector<const memory::memory_item*>& offered, const context_query& query,
    const ranking_config& cfg);

/// The technique evidence of query.family (optimization items tagged "technique", retired ones
/// included: the draw must know a technique was tried) and every learned technique (kind
/// "technique"), in id order; none with memory off or query.techniques false. cross_task off
/// keeps the querying task's entries.
[[nodiscard]] std::vector<memory::memory_item> technique_evidence(
    const std::vector<memory::memory_item>& pool, const context_query& query, const ranking_config& cfg);

/// Chooses up to query.n items from `pool`, best first. Deterministic for a
/// given pool, query and query.seed. The pool's order does not matter.
[[nodiscard]] std::vector<memory::memory_item> rank_items(const std::vector<memory::memory_item>& pool,
                                                          const context_query& query,
                                                          const ranking_config& cfg);

/// True if `item` belongs in technique_evidence's reply for `query`.
[[nodiscard]] bool is_technique_evidence(const memory::memory_item& item, const context_query& query,
                                         const ranking_config& cfg);

/// The most similar side of rank_items, streamed: keeps the lambda*N most similar items offered
/// (similarity first, then id) in a bounded heap, so a scan costs O(M log(lambda*N)) for M
/// offered items and nothing is sorted but the kept ones. finish() applies the value stage and
/// returns what rank_items would for the offered items, in any order of offering.
class rank_collector {
 public:
  rank_collector(const context_query& query, const ranking_config& cfg);

  /// Scores `item`; kept only if it is among the most similar so far. `item` must outlive finish().
  void offer(const memory::memory_item& item);

  /// As offer(item), with its similarity already computed (and the cross_task rule applied).
  void offer(const memory::memory_item& item, double sim);

  /// As offer(item, sim), with key == id_key(item.id) (ties are then decided without reading the item).
  void offer(const memory::memory_item& item, double sim, uint64_t key);

  /// The first 8 bytes of `id`, big-endian, zero-padded: ordered as the ids are, up to ties.
  [[nodiscard]] static uint64_t id_key(std::string_view id) noexcept;

  /// False once every item still to come scores at most `bound`: the collector is full and its
  /// least similar kept item scores above `bound` (an equal score may still win on its id).
  [[nodiscard]] bool wants_above(double bound) const noexcept;

  /// As offer(item, sim, key) for an item the caller holds elsewhere (a retriever slot): its id
  /// (which must outlive finish_slots()) and values. finish_slots() names the chosen ones.
  void offer_slot(uint32_t slot, std::string_view id, double q1, double q2, double sim, uint64_t key);

  /// The chosen items, best first (rank_items' reply).
  [[nodiscard]] std::vector<memory::memory_item> finish();

  /// The chosen slots of offer_slot, best first: only they need decoding.
  [[nodiscard]] std::vector<uint32_t> finish_slots();

 private:
  struct scored {
    const memory::memory_item* item;  // offer(); nullptr from offer_slot
    uint32_t slot;                    // offer_slot()
    double sim;
    uint64_t key;  // id_key(id)
    double q1;
    double q2;
    std::string_view id;
  };
  static bool more_similar(const scored& a, const scored& b) noexcept;
  void keep(const scored& s);
  std::vector<scored> choose();  // finish's order, without copying any item

  const context_query& query_;
  const ranking_config& cfg_;
  size_t fetch_ = 0;
  std::vector<scored> heap_;  // least similar on top
};

/// The most similarity an item of `family` can score for `query` (same family, same state, same task).
[[nodiscard]] double similarity_bound(const std::string& family, const context_query& query) noexcept;

}  // namespace kforge::actors
