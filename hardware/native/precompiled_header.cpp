#include "hardware/native/precompiled_header.hpp"

#include "hardware/gates/source_lexer.hpp"

#include <algorithm>

namespace kforge::hardware {

std::vector<std::string> included_headers(std::string_view source) {
  std::vector<std::string> out;
  auto lexed = lex_source(source);
  const auto& t = lexed.tokens;
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    if (!t[i].line_start || t[i].text != "#" || t[i + 1].text != "include")
      continue;
    if (t[i + 2].kind == token_kind::header && t[i + 2].line == t[i].line &&
        std::find(out.begin(), out.end(), t[i + 2].text) == out.end())
      out.push_back(t[i + 2].text);
  }
  return out;
}

int pick_header_set(const std::vector<std::vector<std::string>>& sets,
                    const std::vector<std::string>& includes) {
  auto contains = [](const std::vector<std::string>& set, const std::string& h) {
    return std::find(set.begin(), set.end(), h) != set.end();
  };
  std::vector<std::string> heavy;
  for (const auto& h : includes) {
    bool known = std::any_of(sets.begin(), sets.end(), [&](const auto& set) { return contains(set, h); });
    if (known)
      heavy.push_back(h);
  }
  if (heavy.empty())
    return -1;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (std::all_of(heavy.begin(), heavy.end(), [&](const auto& h) { return contains(sets[i], h); }))
      return static_cast<int>(i);
  }
  return -1;
}

std::string header_set_text(const std::vector<std::string>& set) {
  std::string text = "// Precompiled by kforge for the compile gate.\n#pragma once\n";
  for (const auto& h : set)
    text += "#include <" + h + ">\n";
  return text;
}

}  // namespace kforge::hardware
