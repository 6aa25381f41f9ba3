#pragma once

// The compact values of the records a campaign writes on every evaluation: version byte, a tag
// naming the record, the record in the form of binary_codec.hpp, and a CRC-32 (zlib) of tag and
// record, so that a damaged byte inside a string, which would still parse, is found by every
// read and by `kforge store check`. codec.hpp decides which form a value has.

#include "memory/records.hpp"

#include <caf/error.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace kforge::memory {

/// The records stored compactly; the others stay JSON.
template <class Record>
inline constexpr bool has_compact_form =
    std::is_same_v<Record, campaign_record> || std::is_same_v<Record, task_record> ||
    std::is_same_v<Record, candidate_record> || std::is_same_v<Record, memory_item>;

/// True if `value` (version byte first) is in the compact form: its second byte is a record tag,
/// which no JSON text starts with.
[[nodiscard]] bool is_compact(std::string_view value) noexcept;

/// The compact value of a record.
[[nodiscard]] std::string encode_compact(const campaign_record& rec);
[[nodiscard]] std::string encode_compact(const task_record& rec);
[[nodiscard]] std::string encode_compact(const candidate_record& rec);
[[nodiscard]] std::string encode_compact(const memory_item& rec);

/// Decodes a compact value; `out` is assigned only on success. Errors: errc::store_corrupt,
/// `context` then what was found (checksum mismatch, another record's tag, a version-1 value,
/// a truncated or overlong field, bytes after the record, fields of a newer build).
[[nodiscard]] caf::error decode_compact(std::string_view value, const std::string& context,
                                        campaign_record& out);
[[nodiscard]] caf::error decode_compact(std::string_view value, const std::string& context, task_record& out);
[[nodiscard]] caf::error decode_compact(std::string_view value, const std::string& context,
                                        candidate_record& out);
[[nodiscard]] caf::error decode_compact(std::string_view value, const std::string& context, memory_item& out);

}  // namespace kforge::memory
