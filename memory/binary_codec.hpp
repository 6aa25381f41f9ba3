#pragma once

// The compact form of the records a campaign writes on every evaluation (candidates, tasks,
// campaigns, memory items): each struct is its fields in the order of its CAF `inspect`
// overload (records.hpp, runtime/base), so the form follows the struct without a second list
// of fields to keep in step. Grammar (schema.hpp has the value framing around it):
//
//   struct  = count field*        ; count: varint, the fields written; a reader takes the first
//                                 ;   min(count, known) and leaves the rest at their defaults
//   string  = varint-length byte*
//   vector  = varint-count element*
//   i32/i64 = zigzag varint       u64 = varint       bool = one byte, 0 or 1
//   f64     = 8 bytes, the IEEE-754 bits little-endian (inf and NaN round-trip)
//
// Fields are only ever appended to an inspect overload, never reordered or removed: a value
// written before a field existed decodes with that field at its default, and a value with more
// fields than this build knows is refused (it was written by a newer build). Every length and
// count is checked against the bytes left before anything is allocated, so no value, however
// damaged, makes the reader allocate more than the value's own size.

#include <caf/meta/annotation.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kforge::memory::detail {

template <class T>
inline constexpr bool is_annotation_v = std::is_base_of_v<caf::meta::annotation, std::decay_t<T>>;

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

/// Counts the fields of an inspect call (annotations excluded).
template <class... Ts>
inline constexpr std::size_t field_count_v = (0 + ... + (is_annotation_v<Ts> ? 0 : 1));

/// Appends a struct's fields to a string; an inspector for CAF inspect overloads.
class binary_writer {
 public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  explicit binary_writer(std::string& out) : out_(out) {}

  template <class... Ts>
  void operator()(Ts&&... xs) {
    put_varint(field_count_v<Ts...>);
    (write(xs), ...);
  }

  void put_varint(uint64_t v) {
    while (v >= 0x80U) {
      out_.push_back(static_cast<char>((v & 0x7fU) | 0x80U));
      v >>= 7U;
    }
    out_.push_back(static_cast<char>(v));
  }

 private:
  template <class T>
  void write(const T& x) {
    if constexpr (is_annotation_v<T>) {
      // type names and other annotations are not part of the value
    } else if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(x ? '\1' : '\0');
    } else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
      const auto v = static_cast<int64_t>(x);
      put_varint((static_cast<uint64_t>(v) << 1U) ^ static_cast<uint64_t>(v >> 63));
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      put_varint(x);
    } else if constexpr (std::is_same_v<T, double>) {
      uint64_t bits = 0;
      std::memcpy(&bits, &x, sizeof bits);
      for (unsigned shift = 0; shift < 64; shift += 8)
        out_.push_back(static_cast<char>((bits >> shift) & 0xffU));
    } else if constexpr (std::is_same_v<T, std::string>) {
      put_varint(x.size());
      out_.append(x);
    } else if constexpr (is_vector<T>::value) {
      put_varint(x.size());
      for (const auto& element : x)
        write(element);
    } else {
      // A nested struct: its inspect overload takes a mutable reference; writing only reads it.
      inspect(*this, const_cast<T&>(x));
    }
  }

  std::string& out_;
};

/// Reads a struct written by binary_writer; an inspector for CAF inspect overloads. After a
/// failure every further read is skipped and `problem()` says what and at which byte.
class binary_reader {
 public:
  using result_type = void;
  static constexpr bool reads_state = false;
  static constexpr bool writes_state = true;

  explicit binary_reader(std::string_view bytes) : data_(bytes) {}

  template <class... Ts>
  void operator()(Ts&&... xs) {
    uint64_t count = 0;
    if (!get_varint(count, "field count"))
      return;
    constexpr std::size_t known = field_count_v<Ts...>;
    if (count > known) {
      fail("a struct of " + std::to_string(count) + " fields where this build knows " +
           std::to_string(known) + " (written by a newer kforge)");
      return;
    }
    std::size_t index = 0;
    (read_field(xs, index, count), ...);
  }

  [[nodiscard]] bool ok() const noexcept { return problem_.empty(); }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == data_.size(); }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

  void fail(std::string what) {
    if (problem_.empty())
      problem_ = std::move(what) + " at byte " + std::to_string(pos_);
  }

 private:
  template <class T>
  void read_field(T& x, std::size_t& index, uint64_t count) {
    if constexpr (is_annotation_v<T>) {
      return;
    } else {
      if (index++ < count && ok())
        read(x);
    }
  }

  bool get_varint(uint64_t& v, const char* what) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) {
        fail(std::string{"truncated "} + what);
        return false;
      }
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7fU) << shift;
      if ((byte & 0x80U) == 0)
        return true;
    }
    fail(std::string{"overlong varint in "} + what);
    return false;
  }

  // A length or count must fit in the bytes left: each byte or element takes at least one.
  bool get_size(std::size_t& n, const char* what) {
    uint64_t v = 0;
    if (!get_varint(v, what))
      return false;
    if (v > data_.size() - pos_) {
      fail(std::string{what} + " of " + std::to_string(v) + " where " + std::to_string(data_.size() - pos_) +
           " bytes are left");
      return false;
    }
    n = static_cast<std::size_t>(v);
    return true;
  }

  template <class T>
  void read(T& x) {
    if constexpr (std::is_same_v<T, bool>) {
      if (pos_ >= data_.size())
        return fail("truncated bool");
      const auto b = static_cast<unsigned char>(data_[pos_]);
      if (b > 1)
        return fail("bool byte " + std::to_string(b));
      ++pos_;
      x = b == 1;
    } else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
      uint64_t z = 0;
      if (!get_varint(z, "integer"))
        return;
      const auto v = static_cast<int64_t>((z >> 1U) ^ (~(z & 1U) + 1U));
      if constexpr (std::is_same_v<T, int32_t>) {
        if (v < INT32_MIN || v > INT32_MAX)
          return fail("32-bit integer out of range (" + std::to_string(v) + ")");
      }
      x = static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      get_varint(x, "integer");
    } else if constexpr (std::is_same_v<T, double>) {
      if (data_.size() - pos_ < 8)
        return fail("truncated f64");
      uint64_t bits = 0;
      for (unsigned i = 0; i < 8; ++i)
        bits |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8U * i);
      pos_ += 8;
      std::memcpy(&x, &bits, sizeof x);
    } else if constexpr (std::is_same_v<T, std::string>) {
      std::size_t n = 0;
      if (!get_size(n, "string length"))
        return;
      x.assign(data_.data() + pos_, n);
      pos_ += n;
    } else if constexpr (is_vector<T>::value) {
      std::size_t n = 0;
      if (!get_size(n, "list length"))
        return;
      x.clear();  // no reserve: n elements of at least a byte each, not n structs' worth
      for (std::size_t i = 0; i < n && ok(); ++i)
        read(x.emplace_back());
    } else {
      inspect(*this, x);
    }
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::string problem_;
};

}  // namespace kforge::memory::detail
