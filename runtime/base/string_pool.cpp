#include "runtime/base/string_pool.hpp"

#include <functional>

namespace kforge {

size_t string_pool::slot_of(std::string_view s) const noexcept {
  size_t mask = table_.size() - 1;
  size_t i = std::hash<std::string_view>{}(s)&mask;
  while (table_[i] != 0 && view(table_[i] - 1) != s)
    i = (i + 1) & mask;
  return i;
}

uint32_t string_pool::lookup(std::string_view s) const noexcept {
  if (table_.empty())
    return npos;
  auto v = table_[slot_of(s)];
  return v == 0 ? npos : v - 1;
}

uint32_t string_pool::intern(std::string_view s) {
  if (2 * (size() + 1) > table_.size())
    grow();
  auto slot = slot_of(s);
  if (table_[slot] != 0)
    return table_[slot] - 1;
  auto id = static_cast<uint32_t>(size());
  chars_.append(s);
  offsets_.push_back(chars_.size());
  table_[slot] = id + 1;
  return id;
}

void string_pool::grow() {
  std::vector<uint32_t> bigger(table_.empty() ? 64 : table_.size() * 2, 0);
  table_.swap(bigger);
  for (auto v : bigger)
    if (v != 0)
      table_[slot_of(view(v - 1))] = v;
}

}  // namespace kforge
