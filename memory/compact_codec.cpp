#include "memory/compact_codec.hpp"

#include "memory/binary_codec.hpp"
#include "runtime/base/error.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace kforge::memory {

namespace {

// The byte after the version, 1 to 4 in this order (is_compact reads the range). A JSON value's
// second byte is its first character, '{' or '"'.
template <class Record>
inline constexpr char tag_of = 0;
template <>
inline constexpr char tag_of<campaign_record> = '\x01';
template <>
inline constexpr char tag_of<task_record> = '\x02';
template <>
inline constexpr char tag_of<candidate_record> = '\x03';
template <>
inline constexpr char tag_of<memory_item> = '\x04';

constexpr std::size_t checksum_bytes = 4;

uint32_t checksum(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (!bytes.empty()) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), std::numeric_limits<uInt>::max()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

template <class Record>
std::string encode_record(const Record& rec) {
  std::string out;
  out.reserve(256);
  out.push_back(static_cast<char>(schema_version));
  out.push_back(tag_of<Record>);
  detail::binary_writer writer{out};
  inspect(writer, const_cast<Record&>(rec));  // inspect takes a mutable reference; the writer only reads
  const uint32_t crc = checksum(std::string_view{out}.substr(1));
  for (unsigned shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<char>((crc >> shift) & 0xffU));
  return out;
}

template <class Record>
caf::error decode_record(std::string_view value, const std::string& context, Record& out) {
  if (value.size() < 2 + checksum_bytes)
    return make_error(errc::store_corrupt,
                      context + ": compact value of " + std::to_string(value.size()) + " bytes");
  const std::string_view covered = value.substr(1, value.size() - 1 - checksum_bytes);
  uint32_t stored = 0;
  for (unsigned i = 0; i < checksum_bytes; ++i)
    stored |= static_cast<uint32_t>(static_cast<unsigned char>(value[value.size() - checksum_bytes + i]))
              << (8U * i);
  if (checksum(covered) != stored)
    return make_error(errc::store_corrupt, context + ": checksum mismatch: the value is damaged");
  if (static_cast<unsigned char>(value[0]) < 2)
    return make_error(errc::store_corrupt, context + ": a compact value under schema version 1");
  if (value[1] != tag_of<Record>)
    return make_error(errc::store_corrupt, context + ": a compact value of another record's kind (" +
                                               std::to_string(static_cast<int>(value[1])) + ")");
  const std::string_view bytes = covered.substr(1);
  Record rec;
  detail::binary_reader reader{bytes};
  inspect(reader, rec);
  if (reader.ok() && !reader.at_end())
    reader.fail(std::to_string(bytes.size() - reader.position()) + " bytes after the record");
  if (!reader.ok())
    return make_error(errc::store_corrupt, context + ": compact record: " + reader.problem());
  out = std::move(rec);
  return caf::none;
}

}  // namespace

bool is_compact(std::string_view value) noexcept {
  return value.size() >= 2 && value[1] >= tag_of<campaign_record> && value[1] <= tag_of<memory_item>;
}

std::string encode_compact(const campaign_record& rec) {
  return encode_record(rec);
}
std::string encode_compact(const task_record& rec) {
  return encode_record(rec);
}
std::string encode_compact(const candidate_record& rec) {
  return encode_record(rec);
}
std::string encode_compact(const memory_item& rec) {
  return encode_record(rec);
}

caf::error decode_compact(std::string_view value, const std::string& context, campaign_record& out) {
  return decode_record(value, context, out);
}
caf::error decode_compact(std::string_view value, const std::string& context, task_record& out) {
  return decode_record(value, context, out);
}
caf::error decode_compact(std::string_view value, const std::string& context, candidate_record& out) {
  return decode_record(value, context, out);
}
caf::error decode_compact(std::string_view value, const std::string& context, memory_item& out) {
  return decode_record(value, context, out);
}

}  // namespace kforge::memory
