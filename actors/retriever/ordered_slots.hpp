#pragma once

// A sorted list of (id key, slot) entries in chunks of at most 2 * chunk_max: insert and erase
// cost a binary search plus a move within one chunk, so they stay cheap however large a bucket
// grows; in-order reads walk the chunks. The order is the caller's `less` (the memory index
// passes id order: key, then the whole id), given to each call so that nothing here points
// into the index.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace kforge::actors::detail {

/// One entry of a bucket: the item's id key (rank_collector::id_key) and its slot.
struct slot_entry {
  uint64_t key = 0;
  uint32_t slot = 0;
};

class ordered_slots {
 public:
  static constexpr size_t chunk_max = 256;

  /// A position in the list; valid until the next insert or erase.
  struct cursor {
    uint32_t chunk = 0;
    uint32_t pos = 0;
  };

  /// Inserts `e` in `less` order. `e` must not be in the list.
  template <class Less>
  void insert(const slot_entry& e, const Less& less) {
    if (chunks_.empty()) {
      chunks_.push_back({e});
      ++size_;
      return;
    }
    auto c = chunk_for(e, less);
    auto& chunk = chunks_[c];
    chunk.insert(std::lower_bound(chunk.begin(), chunk.end(), e, less), e);
    ++size_;
    if (chunk.size() > 2 * chunk_max) {  // split in two halves
      std::vector<slot_entry> upper(chunk.begin() + static_cast<std::ptrdiff_t>(chunk_max), chunk.end());
      chunk.resize(chunk_max);
      chunk.shrink_to_fit();
      chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(upper));
    }
  }

  /// Erases the entry of `e.slot` (found by `less`); false if it is not in the list.
  template <class Less>
  bool erase(const slot_entry& e, const Less& less) {
    if (chunks_.empty())
      return false;
    auto c = chunk_for(e, less);
    auto& chunk = chunks_[c];
    auto it = std::lower_bound(chunk.begin(), chunk.end(), e, less);
    if (it == chunk.end() || it->slot != e.slot)
      return false;
    chunk.erase(it);
    --size_;
    if (chunk.empty())
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
    return true;
  }

  /// The entry at `c`, or nullptr past the end.
  [[nodiscard]] const slot_entry* at(const cursor& c) const noexcept {
    return c.chunk < chunks_.size() ? &chunks_[c.chunk][c.pos] : nullptr;
  }

  void advance(cursor& c) const noexcept {
    if (++c.pos >= chunks_[c.chunk].size()) {
      ++c.chunk;
      c.pos = 0;
    }
  }

  [[nodiscard]] size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  // The first chunk whose last entry is not before `e` (the last chunk if none).
  template <class Less>
  [[nodiscard]] size_t chunk_for(const slot_entry& e, const Less& less) const {
    auto it = std::lower_bound(
        chunks_.begin(), chunks_.end(), e,
        [&](const std::vector<slot_entry>& chunk, const slot_entry& x) { return less(chunk.back(), x); });
    return it == chunks_.end() ? chunks_.size() - 1 : static_cast<size_t>(it - chunks_.begin());
  }

  std::vector<std::vector<slot_entry>> chunks_;  // no chunk is empty
  size_t size_ = 0;
};

}  // namespace kforge::actors::detail
