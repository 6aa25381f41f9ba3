#include "memory/text_codec.hpp"

#include "memory/records.hpp"
#include "runtime/base/error.hpp"

#include <zlib.h>

#include <limits>

namespace kforge::memory {

caf::expected<std::string> encode_text(std::string_view text, std::size_t threshold) {
  std::string out;
  out.push_back(static_cast<char>(schema_version));
  if (text.size() < threshold) {
    out.push_back(text_plain);
    out.append(text);
    return out;
  }
  if (text.size() > std::numeric_limits<uLong>::max())
    return make_error(errc::internal, "encode text: " + std::to_string(text.size()) + " bytes is too long");
  const auto size = static_cast<uLong>(text.size());
  uLongf packed = compressBound(size);
  std::string buffer(static_cast<std::size_t>(packed), '\0');
  // zlib takes unsigned char pointers; the bytes are the same.
  const int rc = compress2(reinterpret_cast<Bytef*>(buffer.data()), &packed,
                           reinterpret_cast<const Bytef*>(text.data()), size, Z_BEST_COMPRESSION);
  if (rc != Z_OK)
    return make_error(errc::internal, "encode text: zlib compress2 failed (" + std::to_string(rc) + ")");
  buffer.resize(static_cast<std::size_t>(packed));
  out.push_back(text_deflated);
  append_u64be(out, text.size());
  out += buffer;
  return out;
}

caf::expected<std::string> decode_text(std::string_view value, std::string_view key) {
  const std::string context = "decode table=texts key=" + printable_key(key);
  if (value.size() < 2)
    return make_error(errc::store_corrupt, context + ": value of " + std::to_string(value.size()) + " bytes");
  const auto version = static_cast<unsigned char>(value[0]);
  if (version == 0 || version > schema_version) {
    return make_error(errc::store_corrupt, context + ": unknown schema version " + std::to_string(version) +
                                               " (this build reads 1.." + std::to_string(schema_version) +
                                               ")");
  }
  const char format = value[1];
  const std::string_view body = value.substr(2);
  if (format == text_plain)
    return std::string{body};
  if (format != text_deflated)
    return make_error(errc::store_corrupt,
                      context + ": unknown text format '" + printable_key({&format, 1}) + "'");
  if (body.size() < 8)
    return make_error(errc::store_corrupt, context + ": compressed text without its size");
  const uint64_t size = read_u64be(body);
  // A size beyond the map would be a corrupt header, not a text: refuse before allocating.
  if (size > (uint64_t{1} << 32U))
    return make_error(errc::store_corrupt,
                      context + ": recorded size " + std::to_string(size) + " is implausible");
  std::string out(static_cast<std::size_t>(size), '\0');
  auto produced = static_cast<uLongf>(size);
  const std::string_view stream = body.substr(8);
  const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &produced,
                            reinterpret_cast<const Bytef*>(stream.data()), static_cast<uLong>(stream.size()));
  if (rc != Z_OK || produced != size) {
    return make_error(errc::store_corrupt, context + ": zlib stream does not inflate to " +
                                               std::to_string(size) + " bytes (zlib " + std::to_string(rc) +
                                               ", got " + std::to_string(produced) + ")");
  }
  return out;
}

}  // namespace kforge::memory
