#pragma once

// Consolidation kept current per commit, free of CAF and LMDB. The evidence behind every
// insight rule (insight_rules.hpp: knob changes of trajectory steps, knob values of seeds,
// techniques of a model's items in words) is held by rule key, each item's share parsed once
// when the item is committed; a pass rebuilds only the insights whose evidence changed since
// the last pass and checks for retirement only the items that changed. Nothing is decoded
// from the store and nothing scans the whole memory, so a pass costs what changed, not the
// memory's size. Strings are interned (~240 bytes an item with evidence at a million items).

#include "actors/curator/insight_rules.hpp"
#include "memory/records.hpp"
#include "runtime/base/string_pool.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kforge::actors {

class insight_index {
 public:
  explicit insight_index(consolidation_config cfg);

  /// Learns `item` (new, or a newer copy of one seen before, retired included): its share of
  /// the evidence replaces the old one, and it becomes a retirement candidate if it qualifies.
  void update(const memory::memory_item& item);

  /// The insights of every rule key whose evidence changed since the last clear_changes()
  /// (all of them for a fresh index), and the changed items that should retire, in id order.
  /// What consolidate() would return over every item learned, less the insights whose
  /// evidence did not change. Does not clear: a pass that fails to commit can run again.
  [[nodiscard]] consolidation changes(int64_t now_ms) const;

  /// Every insight the evidence supports and every item to retire (consolidate()).
  [[nodiscard]] consolidation everything(int64_t now_ms) const;

  /// Forgets what changed: the last changes() has been committed.
  void clear_changes();

  /// Items holding a share of some rule's evidence.
  [[nodiscard]] size_t evidence_items() const noexcept { return shares_.size(); }

 private:
  // Every string the index holds (item ids, families, tasks, knobs, changes, gates, examples)
  // is interned once in `pool_`; keys and shares hold ids. The pool sits on the heap so that
  // the by-id orders below keep their pointer when the index moves.
  using change_key = std::pair<uint32_t, uint32_t>;           // (family, changes text)
  using value_key = std::tuple<uint32_t, uint32_t, int64_t>;  // (family, knob, value)
  struct change_share {
    double effect = 0;
    uint32_t changes = 0;  // the changes array, JSON
    uint32_t tasks = 0;    // the item's source tasks (task_list)
  };
  struct value_share {
    double speedup = 0;
    uint32_t tasks = 0;
  };
  struct words_share {
    int64_t times = 0;  // how often the item names the technique
    bool timed = false;
    double effect = 0;
    uint32_t gate = 0;
    uint32_t family = 0;
    uint32_t tasks = 0;
    int64_t updated_ms = 0;
    uint32_t example = 0;
  };
  // Shares of one key by item id, in id order (as a scan of the memory would meet them).
  template <class Share>
  using by_item = std::map<uint32_t, Share, by_pooled_string>;
  // Which keys an item's share sits under, to take it back when the item changes: ids of
  // change keys, value keys and techniques, each tagged with its kind in the top two bits.
  struct item_keys {
    std::vector<uint32_t> keys;
    uint32_t seed_family = string_pool::npos;  // counted among its family's seeds
  };
  enum key_kind : uint32_t { change_kind = 0, value_kind = 1, refine_kind = 2, draft_kind = 3 };

  void forget(const std::string& id);
  void learn(const memory::memory_item& item);
  consolidation build(bool all, int64_t now_ms) const;
  uint32_t task_list(const std::vector<std::string>& tasks);
  void add_tasks(uint32_t list, std::set<std::string>& to) const;
  uint32_t change_id(const change_key& k);
  uint32_t value_id(const value_key& k);

  consolidation_config cfg_;
  std::unique_ptr<string_pool> pool_ = std::make_unique<string_pool>();
  std::unordered_map<uint32_t, item_keys> shares_;  // by item id
  std::map<change_key, by_item<change_share>> changes_;
  std::map<value_key, by_item<value_share>> values_;
  std::map<change_key, uint32_t> change_ids_;  // change and value keys interned, for item_keys
  std::vector<change_key> change_keys_;
  std::map<value_key, uint32_t> value_ids_;
  std::vector<value_key> value_keys_;
  std::map<uint32_t, int64_t> seeds_;  // family -> how many knob seeds
  std::map<uint32_t, by_item<words_share>> words_refine_;
  std::map<uint32_t, by_item<words_share>> words_draft_;
  std::set<std::string> retire_;  // changed items that qualify for retirement

  bool all_changed_ = true;
  std::set<change_key> changed_changes_;
  std::set<value_key> changed_values_;
  std::set<uint32_t> changed_seed_families_;
  std::set<uint32_t> changed_words_refine_;
  std::set<uint32_t> changed_words_draft_;
};

}  // namespace kforge::actors
