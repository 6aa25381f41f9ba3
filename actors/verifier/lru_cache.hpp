#pragma once

// A small least-recently-used map for the verifier's caches. Plain class, no CAF.

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kforge::actors {

/// Maps string keys to values, keeping at most `capacity` entries; inserting
/// past it evicts the least recently used entry and returns it (so the caller
/// can release what it owns, such as a built binary). Not thread-safe.
template <class Value>
class lru_cache {
 public:
  /// Makes a cache of `capacity` entries (0 = keeps nothing).
  explicit lru_cache(size_t capacity) : capacity_(capacity) {}

  /// The value of `key`, marking it most recently used; nullptr if absent.
  [[nodiscard]] const Value* find(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end())
      return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  /// Removes `key` and returns its value, if present.
  std::optional<Value> take(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end())
      return std::nullopt;
    Value value = std::move(it->second->second);
    order_.erase(it->second);
    index_.erase(it);
    return value;
  }

  /// Inserts or replaces `key`; returns the entries evicted to make room.
  std::vector<std::pair<std::string, Value>> put(const std::string& key, Value value) {
    std::vector<std::pair<std::string, Value>> evicted;
    auto it = index_.find(key);
    if (it != index_.end()) {
      evicted.emplace_back(key, std::move(it->second->second));
      order_.erase(it->second);
      index_.erase(it);
    }
    if (capacity_ == 0) {
      evicted.emplace_back(key, std::move(value));
      return evicted;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    while (order_.size() > capacity_) {
      evicted.push_back(std::move(order_.back()));
      index_.erase(evicted.back().first);
      order_.pop_back();
    }
    return evicted;
  }

  /// Removes every entry and returns them.
  std::vector<std::pair<std::string, Value>> clear() {
    std::vector<std::pair<std::string, Value>> all(std::make_move_iterator(order_.begin()),
                                                   std::make_move_iterator(order_.end()));
    order_.clear();
    index_.clear();
    return all;
  }

  /// Number of entries.
  [[nodiscard]] size_t size() const noexcept { return order_.size(); }

 private:
  size_t capacity_;
  std::list<std::pair<std::string, Value>> order_;  // most recent first
  std::unordered_map<std::string, typename std::list<std::pair<std::string, Value>>::iterator> index_;
};

}  // namespace kforge::actors
