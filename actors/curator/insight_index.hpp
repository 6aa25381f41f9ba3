#pragma once

// Consolidation kept current per commit, free of CAF and LMDB. The evidence behind every
// insight rule (insight_rules.hpp: knob changes of trajectory steps, knob values of seeds,
// techniques of a model's items in words) is held by rule key, each item's share parsed once
// when the item is committed; a pass rebuilds only the insights whose evidence changed since
// the last pass and checks for retirement only the items that changed. Nothing is decoded
// from the store and nothing scans the whole memory, so a pass costs what changed, not the
// memory's size.

#include "actors/curator/insight_rules.hpp"
#include "memory/records.hpp"

#include <cstdint>
#include <map>
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
  using change_key = std::pair<std::string, std::string>;           // (family, changes text)
  using value_key = std::tuple<std::string, std::string, int64_t>;  // (family, knob, value)
  struct change_share {
    std::string changes;  // the changes array, JSON
    double effect = 0;
    std::vector<std::string> tasks;
  };
  struct value_share {
    double speedup = 0;
    std::vector<std::string> tasks;
  };
  struct words_share {
    int64_t times = 0;  // how often the item names the technique
    bool timed = false;
    double effect = 0;
    std::string gate;
    std::string family;
    std::vector<std::string> tasks;
    int64_t updated_ms = 0;
    std::string example;
  };
  // Which keys an item's share sits under, to take it back when the item changes.
  struct item_keys {
    std::vector<change_key> changes;
    std::string seed_family;  // non-empty: counted among its family's seeds (with has_seed)
    bool has_seed = false;
    std::vector<value_key> values;
    std::vector<std::string> words_refine;
    std::vector<std::string> words_draft;
  };

  void forget(const std::string& id);
  void learn(const memory::memory_item& item);
  consolidation build(bool all, int64_t now_ms) const;

  consolidation_config cfg_;
  std::unordered_map<std::string, item_keys> shares_;
  std::map<change_key, std::map<std::string, change_share>> changes_;
  std::map<value_key, std::map<std::string, value_share>> values_;
  std::map<std::string, std::set<std::string>> seeds_;  // family -> ids of its knob seeds
  std::map<std::string, std::map<std::string, words_share>> words_refine_;
  std::map<std::string, std::map<std::string, words_share>> words_draft_;
  std::set<std::string> retire_;  // changed items that qualify for retirement

  bool all_changed_ = true;
  std::set<change_key> changed_changes_;
  std::set<value_key> changed_values_;
  std::set<std::string> changed_seed_families_;
  std::set<std::string> changed_words_refine_;
  std::set<std::string> changed_words_draft_;
};

}  // namespace kforge::actors
