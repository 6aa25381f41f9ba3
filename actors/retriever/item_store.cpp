#include "actors/retriever/item_store.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

namespace kforge::actors::detail {

namespace {

size_t hash_of(std::string_view id) noexcept {
  return std::hash<std::string_view>{}(id);
}

void append_u32(std::string& blob, uint32_t v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  blob.append(bytes, sizeof v);
}

uint32_t read_u32(const std::string& blob, size_t at) noexcept {
  uint32_t v = 0;
  std::memcpy(&v, blob.data() + at, sizeof v);
  return v;
}

}  // namespace

uint32_t name_table::intern(const std::string& name) {
  auto [it, added] = ids_.emplace(name, static_cast<uint32_t>(names_.size()));
  if (added)
    names_.push_back(name);
  return it->second;
}

uint32_t name_table::lookup(const std::string& name) const noexcept {
  auto it = ids_.find(name);
  return it == ids_.end() ? unknown : it->second;
}

uint32_t item_store::find(std::string_view id) const noexcept {
  if (table_.empty())
    return npos;
  size_t mask = table_.size() - 1;
  for (size_t i = hash_of(id) & mask;; i = (i + 1) & mask) {
    auto v = table_[i];
    if (v == 0)
      return npos;
    if (this->id(v - 1) == id)
      return v - 1;
  }
}

void item_store::grow_table() {
  std::vector<uint32_t> bigger(table_.empty() ? 1024 : table_.size() * 2, 0);
  size_t mask = bigger.size() - 1;
  for (auto v : table_) {
    if (v == 0)
      continue;
    size_t i = hash_of(id(v - 1)) & mask;
    while (bigger[i] != 0)
      i = (i + 1) & mask;
    bigger[i] = v;
  }
  table_ = std::move(bigger);
}

stored_item item_store::pack(const memory::memory_item& item) {
  stored_item s;
  s.q1 = item.q1;
  s.q2 = item.q2;
  s.mean_speedup = item.mean_speedup;
  s.visits1 = item.visits1;
  s.visits2 = item.visits2;
  s.created_ms = item.created_ms;
  s.updated_ms = item.updated_ms;
  s.samples = item.samples;
  s.feasible_samples = item.feasible_samples;
  s.retired = item.retired;
  s.kind = names_.intern(item.kind);
  s.family = names_.intern(item.family);
  s.state = names_.intern(item.state);
  s.tag_count = static_cast<uint16_t>(std::min<size_t>(item.tags.size(), 0xFFFF));
  s.task_count = static_cast<uint16_t>(std::min<size_t>(item.source_tasks.size(), 0xFFFF));
  s.id_len = static_cast<uint32_t>(item.id.size());
  s.text_len = static_cast<uint32_t>(item.text.size());
  s.blob.reserve(4U * (s.tag_count + s.task_count) + item.id.size() + item.text.size() + item.payload.size());
  for (size_t i = 0; i < s.tag_count; ++i)
    append_u32(s.blob, names_.intern(item.tags[i]));
  for (size_t i = 0; i < s.task_count; ++i)
    append_u32(s.blob, names_.intern(item.source_tasks[i]));
  s.blob += item.id;
  s.blob += item.text;
  s.blob += item.payload;
  return s;
}

uint32_t item_store::add(const memory::memory_item& item) {
  if (2 * (items_.size() + 1) > table_.size())
    grow_table();
  auto slot = static_cast<uint32_t>(items_.size());
  items_.push_back(pack(item));
  size_t mask = table_.size() - 1;
  size_t i = hash_of(item.id) & mask;
  while (table_[i] != 0)
    i = (i + 1) & mask;
  table_[i] = slot + 1;
  return slot;
}

void item_store::replace(uint32_t slot, const memory::memory_item& item) {
  items_[slot] = pack(item);
}

std::string_view item_store::id(uint32_t slot) const noexcept {
  const auto& s = items_[slot];
  return std::string_view{s.blob}.substr(4U * (s.tag_count + s.task_count), s.id_len);
}

uint32_t item_store::tag(uint32_t slot, uint32_t i) const noexcept {
  return read_u32(items_[slot].blob, 4U * i);
}

uint32_t item_store::task(uint32_t slot, uint32_t i) const noexcept {
  return read_u32(items_[slot].blob, 4U * (items_[slot].tag_count + i));
}

bool item_store::has_tag(uint32_t slot, uint32_t tag_id) const noexcept {
  for (uint32_t i = 0; i < items_[slot].tag_count; ++i)
    if (tag(slot, i) == tag_id)
      return true;
  return false;
}

bool item_store::has_task(uint32_t slot, uint32_t task_id) const noexcept {
  for (uint32_t i = 0; i < items_[slot].task_count; ++i)
    if (task(slot, i) == task_id)
      return true;
  return false;
}

memory::memory_item item_store::decode(uint32_t slot) const {
  const auto& s = items_[slot];
  memory::memory_item m;
  m.q1 = s.q1;
  m.q2 = s.q2;
  m.mean_speedup = s.mean_speedup;
  m.visits1 = s.visits1;
  m.visits2 = s.visits2;
  m.created_ms = s.created_ms;
  m.updated_ms = s.updated_ms;
  m.samples = s.samples;
  m.feasible_samples = s.feasible_samples;
  m.retired = s.retired;
  m.kind = names_.name(s.kind);
  m.family = names_.name(s.family);
  m.state = names_.name(s.state);
  m.tags.reserve(s.tag_count);
  for (uint32_t i = 0; i < s.tag_count; ++i)
    m.tags.push_back(names_.name(tag(slot, i)));
  m.source_tasks.reserve(s.task_count);
  for (uint32_t i = 0; i < s.task_count; ++i)
    m.source_tasks.push_back(names_.name(task(slot, i)));
  size_t at = 4U * (s.tag_count + s.task_count);
  m.id.assign(s.blob, at, s.id_len);
  at += s.id_len;
  m.text.assign(s.blob, at, s.text_len);
  at += s.text_len;
  m.payload.assign(s.blob, at, std::string::npos);
  return m;
}

}  // namespace kforge::actors::detail
