#pragma once

#include "memory/records.hpp"
#include "memory/schema.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace kforge::memory {

// Values are one schema-version byte followed by the record (grammar in schema.hpp): campaigns,
// tasks, candidates and memory items, which a campaign writes on every evaluation, in the
// compact form of binary_codec.hpp with a CRC-32; the rest as JSON text, where encoding
// replaces invalid UTF-8 in strings by U+FFFD (the compact form keeps every byte). Decoding
// accepts the versions this build knows (1 .. schema_version) and both forms; JSON fills absent
// optional fields with the struct's defaults and ignores unknown fields. No function here throws.

/// Encodes a campaign. Errors: errc::internal if JSON serialisation fails (out of memory).
[[nodiscard]] caf::expected<std::string> encode(const campaign_record& rec);

/// Encodes a task. Errors: errc::internal.
[[nodiscard]] caf::expected<std::string> encode(const task_record& rec);

/// Encodes a candidate with its verdict, gates, timing and knobs. Errors: errc::internal.
[[nodiscard]] caf::expected<std::string> encode(const candidate_record& rec);

/// Encodes a memory item. Errors: errc::internal.
[[nodiscard]] caf::expected<std::string> encode(const memory_item& rec);

/// Encodes an LLM call. Errors: errc::internal.
[[nodiscard]] caf::expected<std::string> encode(const llm_call_record& rec);

/// Encodes a reference's header (every field but `data`, which reference_codec.hpp frames
/// beside it). Errors: errc::internal.
[[nodiscard]] caf::expected<std::string> encode(const reference_record& rec);

/// The JSON form of a campaign, task, candidate, memory item or LLM call, version byte first (what
/// schema version 1 wrote for all of them, and what decode still reads): for tools and tests
/// that want the fields by name. Errors: errc::internal.
template <class Record>
[[nodiscard]] caf::expected<std::string> encode_json(const Record& rec);
/// Encodes a plain string value (meta values, task_candidates entries) as a JSON string.
/// Errors: errc::internal.
[[nodiscard]] caf::expected<std::string> encode_string(std::string_view text);

/// Decodes `value`, read from `key` of table `t`, into `out`. Errors: errc::store_corrupt
/// naming the table, the key and the problem (empty value, unknown version byte, bad
/// JSON with its byte offset, missing required field, field of the wrong type).
[[nodiscard]] caf::error decode(std::string_view value, table t, std::string_view key, campaign_record& out);

/// Decodes a task; see the campaign overload.
[[nodiscard]] caf::error decode(std::string_view value, table t, std::string_view key, task_record& out);

/// Decodes a candidate; see the campaign overload.
[[nodiscard]] caf::error decode(std::string_view value, table t, std::string_view key, candidate_record& out);

/// Decodes a memory item; see the campaign overload.
[[nodiscard]] caf::error decode(std::string_view value, table t, std::string_view key, memory_item& out);

/// Decodes an LLM call; see the campaign overload.
[[nodiscard]] caf::error decode(std::string_view value, table t, std::string_view key, llm_call_record& out);

/// Decodes a reference's header written by encode (data stays empty); see the campaign overload.
[[nodiscard]] caf::error decode(std::string_view value, table t, std::string_view key, reference_record& out);

/// Decodes a plain string value written by encode_string; see the campaign overload.
[[nodiscard]] caf::error decode(std::string_view value, table t, std::string_view key, std::string& out);

/// Decodes `value` into a new `Record` (one of the types above).
template <class Record>
[[nodiscard]] caf::expected<Record> decode_as(std::string_view value, table t, std::string_view key) {
  Record out;
  if (auto err = decode(value, t, key, out))
    return err;
  return out;
}

}  // namespace kforge::memory
