#pragma once

// The retriever's in-memory index of memory items, free of CAF: items by id in one
// vector, bucketed by family, updated in place by a commit (no copy of the whole pool),
// queried by scanning the query's family first and other families only while an item
// of theirs could still enter the over-fetched set (similarity_bound).

#include "actors/messages.hpp"
#include "actors/retriever/ranking.hpp"
#include "memory/records.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace kforge::actors {

class memory_index {
 public:
  memory_index() = default;
  explicit memory_index(std::vector<memory::memory_item> items);

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

}  // namespace kforge::actors
