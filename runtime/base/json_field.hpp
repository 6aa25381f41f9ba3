#pragma once

// Reading fields of untrusted JSON (model answers, imported records) without exceptions.

#include <nlohmann/json.hpp>

#include <string>

namespace kforge {

/// p[key] where it is a string, else `fallback`. Takes `p` by non-const reference: json::value()
/// and find() on a const json trip g++'s -Wnull-dereference at -O2.
inline std::string string_field(nlohmann::json& p, const char* key, const std::string& fallback) {
  if (!p.contains(key) || !p[key].is_string())
    return fallback;
  return p[key].get<std::string>();
}

}  // namespace kforge
