#pragma once

// The memory index's compact copy of memory items: one fixed record and one heap block per
// item (tags and source tasks as interned name ids, then id, text and payload), names (kinds,
// families, states, tags, tasks) interned once, ids found through an open-addressing table of
// slots. A million items of a long campaign's shape take ~0.3 GB here against ~0.7 GB as
// memory_item values. Free of CAF; one thread at a time (the retriever's).

#include "memory/records.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kforge::actors::detail {

/// Names interned to dense ids; ids never change and are never freed.
class name_table {
 public:
  /// The id of `name`, added if new.
  [[nodiscard]] uint32_t intern(const std::string& name);
  /// The id of `name`, or `unknown` if it was never interned.
  [[nodiscard]] uint32_t lookup(const std::string& name) const noexcept;
  [[nodiscard]] const std::string& name(uint32_t id) const noexcept { return names_[id]; }
  static constexpr uint32_t unknown = 0xFFFFFFFFU;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
};

/// One stored item: the numbers as memory_item has them, names as ids, strings in `blob`.
struct stored_item {
  double q1 = 0;
  double q2 = 0;
  double mean_speedup = 0;
  int64_t visits1 = 0;
  int64_t visits2 = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t samples = 0;
  int64_t feasible_samples = 0;
  uint32_t kind = 0;
  uint32_t family = 0;
  uint32_t state = 0;
  uint32_t id_len = 0;
  uint32_t text_len = 0;
  uint16_t tag_count = 0;
  uint16_t task_count = 0;
  bool retired = false;
  std::string blob;  // uint32 tag ids, uint32 task ids, then id, text, payload bytes
};

/// Items by slot (0, 1, ... in order of arrival); a slot is never freed, only replaced.
class item_store {
 public:
  static constexpr uint32_t npos = 0xFFFFFFFFU;

  /// The slot of the item with this id, or npos.
  [[nodiscard]] uint32_t find(std::string_view id) const noexcept;
  /// Stores a new item (its id must not be stored yet) and returns its slot.
  uint32_t add(const memory::memory_item& item);
  /// Replaces the item in `slot` (same id).
  void replace(uint32_t slot, const memory::memory_item& item);
  /// The item in `slot`, as a memory_item equal to the one stored.
  [[nodiscard]] memory::memory_item decode(uint32_t slot) const;

  [[nodiscard]] const stored_item& at(uint32_t slot) const noexcept { return items_[slot]; }
  [[nodiscard]] std::string_view id(uint32_t slot) const noexcept;
  /// The item's tag (or source task) ids: tag(slot, i) for i < at(slot).tag_count.
  [[nodiscard]] uint32_t tag(uint32_t slot, uint32_t i) const noexcept;
  [[nodiscard]] uint32_t task(uint32_t slot, uint32_t i) const noexcept;
  /// True if the item has tag id `tag_id` (or source task id `task_id`).
  [[nodiscard]] bool has_tag(uint32_t slot, uint32_t tag_id) const noexcept;
  [[nodiscard]] bool has_task(uint32_t slot, uint32_t task_id) const noexcept;

  [[nodiscard]] size_t size() const noexcept { return items_.size(); }
  name_table& names() noexcept { return names_; }
  [[nodiscard]] const name_table& names() const noexcept { return names_; }

 private:
  [[nodiscard]] stored_item pack(const memory::memory_item& item);
  void grow_table();

  std::deque<stored_item> items_;  // a deque: growing copies nothing and never doubles
  std::vector<uint32_t> table_;    // open addressing: slot + 1, 0 = empty; size a power of two
  name_table names_;
};

}  // namespace kforge::actors::detail
