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
  void put(memory::memory_item item);

  std::deque<memory::memory_item> items_;  // a deque: growing never moves the stored items
  std::unordered_map<std::string, uint32_t> slot_;                    // id -> index in items_
  std::unordered_map<std::string, std::vector<uint32_t>> by_family_;  // family ("" too) -> slots
  std::vector<uint32_t> techniques_;                                  // slots of kind "technique"
};

}  // namespace kforge::actors
