#pragma once

// How the gates write numbers into a verdict's detail, so that every backend
// words a latency or a ratio the same way.

#include <string>

namespace kforge::hardware {

/// Nanoseconds as microseconds with three decimals: "12.345 us".
[[nodiscard]] std::string micros(double ns);

/// A fraction as a percentage with one decimal: 0.021 -> "2.1 %".
[[nodiscard]] std::string percent(double fraction);

/// A ratio: "12.5x" with one decimal, or "10x" as short as %g makes it.
[[nodiscard]] std::string times(double ratio, bool one_decimal);

}  // namespace kforge::hardware
