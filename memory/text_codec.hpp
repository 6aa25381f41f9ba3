#pragma once

// Values of table `texts` (grammar in schema.hpp): a text stored as is when short, as a
// zlib stream when long. Prompts repeat most of their bytes (task signature, techniques,
// context), so long ones compress several-fold. No function here throws.

#include "memory/schema.hpp"

#include <caf/expected.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace kforge::memory {

/// Texts of this many bytes or more are stored compressed; shorter ones as is (a zlib
/// stream of a short text saves little and costs a header).
inline constexpr std::size_t text_compress_threshold = 1024;

/// Format byte of a text stored as is.
inline constexpr char text_plain = 't';

/// Format byte of a zlib-compressed text.
inline constexpr char text_deflated = 'z';

/// Encodes `text` as a `texts` value: version, then "t" and the bytes, or "z", the size
/// as u64be and the zlib stream when `text` has `threshold` bytes or more.
/// Errors: errc::internal when zlib fails (out of memory).
[[nodiscard]] caf::expected<std::string> encode_text(std::string_view text,
                                                     std::size_t threshold = text_compress_threshold);

/// Decodes a `texts` value read from `key`. Errors: errc::store_corrupt naming the key and
/// the problem (empty value, unknown version or format byte, a stream that does not
/// inflate to the recorded size).
[[nodiscard]] caf::expected<std::string> decode_text(std::string_view value, std::string_view key);

}  // namespace kforge::memory
