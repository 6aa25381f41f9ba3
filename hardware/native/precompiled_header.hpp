#pragma once

// Precompiled headers for the compile gate. Parsing <cmath> or <immintrin.h>
// costs g++ 80-200 ms, most of a candidate's compile; a precompiled set loads
// in 20-40 ms but costs that much on a source that needs none of it. So a
// backend keeps a few header sets, each precompiled once with the kernel
// flags, and a source gets the smallest set that covers the heavy headers it
// includes, or none (docs/bench-verifier.md has the measurements).

#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// The headers a source includes with `#include <name>`, in order, without
/// duplicates. Comments and literals are skipped (source_lexer). Pure.
[[nodiscard]] std::vector<std::string> included_headers(std::string_view source);

/// Index into `sets` of the set to use for a source that includes `includes`:
/// the first set that contains every included header that any set contains;
/// -1 when the source includes none of them or no set covers them all. Pure.
[[nodiscard]] int pick_header_set(const std::vector<std::vector<std::string>>& sets,
                                  const std::vector<std::string>& includes);

/// The text of the header that a set is precompiled from.
[[nodiscard]] std::string header_set_text(const std::vector<std::string>& set);

}  // namespace kforge::hardware
