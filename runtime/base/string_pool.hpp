#pragma once

// Strings interned to dense ids in one arena: each distinct string is stored once (its bytes
// and an offset), found through an open-addressing table of ids. For indexes that hold a
// million names, ids and texts that repeat (families, tasks, item ids): ~80 bytes an id of 64
// characters against ~250 as a std::string key in two maps. Ids never change and are never
// freed. One thread at a time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kforge {

class string_pool {
 public:
  static constexpr uint32_t npos = 0xFFFFFFFFU;

  /// The id of `s`, added if new.
  uint32_t intern(std::string_view s);
  /// The id of `s`, or npos if it was never interned.
  [[nodiscard]] uint32_t lookup(std::string_view s) const noexcept;
  /// The string of `id` (valid until the next intern).
  [[nodiscard]] std::string_view view(uint32_t id) const noexcept {
    return std::string_view{chars_}.substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  [[nodiscard]] std::string str(uint32_t id) const { return std::string{view(id)}; }
  [[nodiscard]] size_t size() const noexcept { return offsets_.size() - 1; }

 private:
  [[nodiscard]] size_t slot_of(std::string_view s) const noexcept;
  void grow();

  std::string chars_;
  std::vector<uint64_t> offsets_{0};
  std::vector<uint32_t> table_;  // id + 1 per slot, 0 = empty; a power of two, at most half full
};

/// Orders ids by their strings (for ordered maps keyed by interned ids).
struct by_pooled_string {
  const string_pool* pool = nullptr;
  bool operator()(uint32_t a, uint32_t b) const noexcept { return pool->view(a) < pool->view(b); }
};

}  // namespace kforge
