#pragma once

// The retriever's in-memory index of memory items, free of CAF, whose query cost does not
// grow with the memory. similarity() is a sum of three facts (the item's family against the
// query's, its state equal to the query's, the query's task among its source tasks), so the
// items of one (family, state, source task) and one usable class (stage, words or not,
// insight or not) all score the same for any query: they form a bucket, kept in id order
// (ordered_slots). A query's over-fetch (the lambda*N most similar, ties by id) is then a
// merge of the first entries of its buckets, level by level from the most similar, stopping
// once lambda*N are taken: it reads O(buckets of the family + lambda*N) entries, however many
// items the buckets hold, and its reply is exactly rank_items' over the whole pool.
//
// The knowledge base (choose_kb) is drawn from per-state sum trees (kb_sampler.hpp): same
// distribution, not the same picks for a seed. Its ablations (use_values or cross_task off,
// or kb settings other than the index's) and the technique evidence are exact. A commit moves
// an item between buckets only when what places it changed (family, state, tasks, kind, tags,
// retirement); a new value is written in place.

#include "actors/messages.hpp"
#include "actors/retriever/item_store.hpp"
#include "actors/retriever/kb_sampler.hpp"
#include "actors/retriever/ordered_slots.hpp"
#include "actors/retriever/ranking.hpp"
#include "memory/records.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace kforge::actors {

class memory_index {
 public:
  /// An empty index whose knowledge-base weights follow `cfg`'s kb settings.
  explicit memory_index(const ranking_config& cfg = {});
  explicit memory_index(std::vector<memory::memory_item> items, const ranking_config& cfg = {});

  /// Adds the items, or replaces those of the same id. O(log) per item given.
  void update(std::vector<memory::memory_item> items);

  /// Adds one item or replaces the one of its id.
  void put(const memory::memory_item& item);

  /// rank_items, choose_kb and technique_evidence over the indexed items: the same items and
  /// techniques as those functions over a pool of every indexed item (techniques in id order);
  /// the knowledge-base picks are drawn with choose_kb's distribution (see the file comment).
  [[nodiscard]] context_reply query(const context_query& query, const ranking_config& cfg) const;

  [[nodiscard]] size_t size() const noexcept { return store_.size(); }

 private:
  static constexpr int classes = 8;  // stage (draft, refine) x words x insight
  struct bucket {
    uint32_t state = 0;
    uint32_t task = 0;
    detail::ordered_slots slots;
  };
  struct kb_group {
    uint32_t state = 0;
    uint32_t bound = 0;  // interned "family|bound" of the state
    std::vector<uint32_t> slots;
    detail::weight_tree tree;
  };
  struct family_index {
    std::vector<bucket> buckets;
    std::array<std::unordered_map<uint64_t, uint32_t>, classes> bucket_at;  // (state, task) -> bucket
    std::array<std::vector<uint32_t>, classes> by_class;                    // buckets of a class
    std::array<std::unordered_map<uint32_t, std::vector<uint32_t>>, classes> by_task;   // task -> buckets
    std::array<std::unordered_map<uint32_t, std::vector<uint32_t>>, classes> by_state;  // state -> buckets
    std::array<std::vector<kb_group>, 2> kb;                                            // by words or not
    std::array<std::unordered_map<uint32_t, uint32_t>, 2> kb_at;                        // state -> kb group
    std::vector<uint32_t> evidence;  // technique entries (optimization, tag "technique")
  };
  struct pick {
    uint32_t slot;
    uint64_t key;
    double sim;
  };

  void index_in(uint32_t slot);
  void index_out(uint32_t slot);
  [[nodiscard]] bool same_place(uint32_t slot, const memory::memory_item& item) const;
  [[nodiscard]] bool usable(uint32_t slot, bool draft) const noexcept;
  [[nodiscard]] bool is_kb_entry(uint32_t slot) const noexcept;
  [[nodiscard]] std::vector<uint32_t> tasks_of(uint32_t slot) const;
  [[nodiscard]] detail::kb_weights weights_of(uint32_t slot) const noexcept;
  [[nodiscard]] bool id_less(const detail::slot_entry& a, const detail::slot_entry& b) const noexcept;
  [[nodiscard]] bool same_kb_settings(const ranking_config& cfg) const noexcept;
  [[nodiscard]] std::vector<pick> over_fetch(const context_query& query, const ranking_config& cfg) const;
  [[nodiscard]] std::vector<memory::memory_item> kb_picks(const context_query& query,
                                                          const ranking_config& cfg) const;
  [[nodiscard]] std::vector<memory::memory_item> decode_all() const;

  detail::item_store store_;
  std::unordered_map<uint32_t, family_index> families_;  // by interned family name ("" too)
  std::vector<uint32_t> techniques_;                     // slots of kind "technique"
  std::vector<uint32_t> kb_pos_;                         // slot -> position in its kb group, or npos
  ranking_config kb_cfg_;                                // the kb settings the weights follow
  // Interned names the index tests.
  uint32_t seed_ = 0;
  uint32_t optimization_ = 0;
  uint32_t trajectory_ = 0;
  uint32_t insight_ = 0;
  uint32_t technique_ = 0;
  uint32_t words_tag_ = 0;
  uint32_t draft_tag_ = 0;
  uint32_t refine_tag_ = 0;
  uint32_t technique_tag_ = 0;
  uint32_t no_family_ = 0;
};

}  // namespace kforge::actors
