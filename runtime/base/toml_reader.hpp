#pragma once

// The one TOML reader of kforge's input files (campaign configs, the daemon config, task files).
// toml11 throws; this reader keeps every throw inside read(), which returns an error naming the
// file and, where toml11 knows it, the line: "FILE:LINE: what is wrong". Tables keep their keys
// in order, so that "the first unknown key" is the same key on every run. toml11 3.7 clamps a
// number too large for 64 bits to the largest one; the reader refuses such a number instead, and
// every number a key is read into must fit the key's type and be finite.

#include "runtime/base/error.hpp"

#include <toml.hpp>

#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace kforge {

using toml_value = toml::basic_value<toml::discard_comments, std::map, std::vector>;
using toml_table = toml_value::table_type;

/// Reads one TOML document. The checking helpers (fail, only, get, ...) throw toml_reader::failure
/// and are meant to run inside read(); their messages start with where().
class toml_reader {
 public:
  /// What fail() throws; read() turns it into an error.
  struct failure {
    std::string message;
  };

  /// `file` names the document in every message.
  explicit toml_reader(std::string file) : file_(std::move(file)) {}

  [[nodiscard]] const std::string& file() const noexcept { return file_; }

  /// Parses `text` and returns `fn(root)`; fn returns T or caf::expected<T>. Any failure,
  /// toml11 or std exception becomes an error of kind `code`.
  template <class Fn>
  auto read(const std::string& text, errc code, Fn&& fn) const {
    using result = std::invoke_result_t<Fn, const toml_value&>;
    using expected = std::conditional_t<is_expected<result>::value, result, caf::expected<result>>;
    try {
      return expected{fn(parse(text))};
    } catch (...) {
      return expected{make_error(code, describe_current_exception())};
    }
  }

  /// Reads the file `path` whole (its contents for read()), or says why it cannot.
  [[nodiscard]] static caf::expected<std::string> slurp(const std::filesystem::path& path, errc code,
                                                        const std::string& what);

  /// "FILE:LINE" where `at` has a line, else "FILE".
  [[nodiscard]] std::string where(const toml_value& at) const;

  [[noreturn]] void fail(const toml_value& at, const std::string& what) const;
  [[noreturn]] void fail(const std::string& what) const;

  /// Fails unless `table` is a table whose keys are all in `known`; `name` is how the message
  /// names the table ("[budget]").
  void only(const toml_value& table, const std::string& name, std::initializer_list<const char*> known) const;

  /// Sets `out` from `table[key]` where present; fails naming the wanted type if it has another,
  /// an integer that does not fit T (toml11 would cut it) or a number that is not finite.
  template <class T>
  void get(const toml_value& table, const char* key, T& out) const {
    if (!table.is_table() || !table.contains(key))
      return;
    const auto& v = table.at(key);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (v.is_integer() && !fits<T>(v.as_integer()))
        fail(v, "key '" + std::string{key} + "' must be at most " +
                    std::to_string(std::numeric_limits<T>::max()) + " and at least " +
                    std::to_string(std::numeric_limits<T>::min()));
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (v.is_floating() && !std::isfinite(v.as_floating()))
        fail(v, "key '" + std::string{key} + "' must be a finite number, not " +
                    std::to_string(v.as_floating()));
    }
    try {
      out = toml::get<T>(v);
    } catch (const std::exception&) {
      fail(v, "key '" + std::string{key} + "' must be " + wanted<T>() + ", not " + type_name(v));
    }
  }

  /// get() (number() for a floating T), then fails unless `lo <= out <= hi`.
  template <class T>
  void within(const toml_value& table, const char* key, T& out, T lo, T hi) const {
    if constexpr (std::is_floating_point_v<T>)
      number(table, key, out);
    else
      get(table, key, out);
    if (table.is_table() && table.contains(key) && (out < lo || out > hi))
      fail(table.at(key),
           "key '" + std::string{key} + "' must lie in [" + text_of(lo) + ", " + text_of(hi) + "]");
  }

  /// get(), then fails unless the value is positive (or zero, with allow_zero).
  template <class T>
  void positive(const toml_value& table, const char* key, T& out, bool allow_zero = false) const {
    get(table, key, out);
    if (table.is_table() && table.contains(key) && (out < 0 || (!allow_zero && out == 0)))
      fail(table.at(key),
           "key '" + std::string{key} + "' must be " + (allow_zero ? "zero or more" : "positive"));
  }

  /// A number in [0, 1].
  void fraction(const toml_value& table, const char* key, double& out) const;

  /// A finite number; integers are accepted (toml11 reads 5 as an integer, never as 5.0).
  void number(const toml_value& table, const char* key, double& out) const;

  /// A list of finite numbers; integers are accepted.
  void numbers(const toml_value& table, const char* key, std::vector<double>& out) const;

  /// root[name], or an empty table where root has none.
  [[nodiscard]] static const toml_value& table_or_empty(const toml_value& root, const char* name);

  /// What `v` is, for messages: "an integer", "a string", "a table", ...
  [[nodiscard]] static std::string type_name(const toml_value& v);

 private:
  template <class T>
  struct is_expected : std::false_type {};
  template <class T>
  struct is_expected<caf::expected<T>> : std::true_type {};

  template <class T>
  static bool fits(int64_t x) {
    if constexpr (std::is_signed_v<T>)
      return x >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
             x <= static_cast<int64_t>(std::numeric_limits<T>::max());
    else
      return x >= 0 && static_cast<uint64_t>(x) <= std::numeric_limits<T>::max();
  }

  template <class T>
  static std::string text_of(T x) {
    if constexpr (std::is_floating_point_v<T>) {
      auto s = std::to_string(x);
      while (s.size() > 1 && s.back() == '0')
        s.pop_back();
      if (!s.empty() && s.back() == '.')
        s.pop_back();
      return s;
    } else {
      return std::to_string(x);
    }
  }

  template <class T>
  static std::string wanted() {
    if constexpr (std::is_same_v<T, bool>)
      return "true or false";
    else if constexpr (std::is_integral_v<T>)
      return "an integer";
    else if constexpr (std::is_floating_point_v<T>)
      return "a number";
    else if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else
      return "a list of strings";
  }

  [[nodiscard]] toml_value parse(const std::string& text) const;
  // Fails on a number of `v` (or inside it) that toml11 clamped: its literal does not fit.
  void check_literals(const toml_value& v) const;
  // Inside a catch block: the current exception as a message naming the file (and line).
  [[nodiscard]] std::string describe_current_exception() const;

  std::string file_;
};

}  // namespace kforge
