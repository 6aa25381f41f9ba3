#pragma once

// Small text helpers the folders share.

#include <algorithm>
#include <cctype>
#include <string>

namespace kforge {

/// `s` with its ASCII letters in lower case.
inline std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

}  // namespace kforge
