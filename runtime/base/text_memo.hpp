#pragma once

// A bounded, per-thread memo of a pure function of a text: for payloads parsed again and again
// (a memory item's JSON each time a step's context or a commit brings it back).

#include <cstddef>
#include <string>
#include <type_traits>
#include <unordered_map>

namespace kforge {

/// `parse(text)`, remembered on this thread for up to `bound` distinct texts (the memo is emptied
/// when full). Each `Parse` type has a memo of its own, so pass a lambda per call site. For pure
/// functions only: a result never depends on whether it came from the memo. The reference stays
/// valid until the next call with the same `Parse`.
template <class Parse>
const auto& memo_by_text(const std::string& text, Parse parse, std::size_t bound = 4096) {
  using value = std::decay_t<decltype(parse(text))>;
  thread_local std::unordered_map<std::string, value> memo;
  auto it = memo.find(text);
  if (it != memo.end())
    return it->second;
  if (memo.size() >= bound)
    memo.clear();
  return memo.emplace(text, parse(text)).first->second;
}

}  // namespace kforge
