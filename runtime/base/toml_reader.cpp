#include "runtime/base/toml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace kforge {

namespace {

// toml11's message without its "[error] " prefix and its annotated excerpt: the first line,
// plus the last "^--- hint" of the excerpt, which says what is wrong.
std::string one_line(const std::string& what) {
  auto first = what.substr(0, what.find('\n'));
  if (first.rfind("[error] ", 0) == 0)
    first = first.substr(8);
  auto hint = what.rfind("^--- ");
  if (hint != std::string::npos) {
    auto text = what.substr(hint + 5);
    text = text.substr(0, text.find('\n'));
    if (!text.empty())
      first += " (" + text + ")";
  }
  return first;
}

// The source text of a value, from toml11's location (column 1-based, region in bytes); "" when
// the location does not give it.
std::string literal_of(const toml_value& v) {
  auto loc = v.location();
  auto line = loc.line_str();
  if (loc.column() == 0 || loc.column() > line.size())
    return {};
  auto text = line.substr(loc.column() - 1, loc.region());
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  return text;
}

// Whether an integer literal ("123", "-0x7f", "0b101", "+0o17") fits in int64_t; true when the text
// is not one (the parser accepted it, so there is nothing to judge).
bool integer_literal_fits(const std::string& text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-'))
    negative = text[i++] == '-';
  unsigned base = 10;
  if (text.size() > i + 1 && text[i] == '0' &&
      (text[i + 1] == 'x' || text[i + 1] == 'o' || text[i + 1] == 'b')) {
    base = text[i + 1] == 'x' ? 16 : text[i + 1] == 'o' ? 8 : 2;
    i += 2;
  }
  if (i >= text.size())
    return true;
  uint64_t value = 0;
  for (; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    unsigned digit = 0;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return true;
    if (digit >= base)
      return true;
    if (value > (UINT64_MAX - digit) / base)
      return false;
    value = value * base + digit;
  }
  return negative ? value <= uint64_t{1} << 63 : value <= static_cast<uint64_t>(INT64_MAX);
}

// Whether a float literal stays below infinity (toml11 turns 1e999 into the largest double).
bool float_literal_fits(const std::string& text) {
  if (text.empty())
    return true;
  errno = 0;
  char* end = nullptr;
  auto x = std::strtod(text.c_str(), &end);
  return !(errno == ERANGE && std::isinf(x));
}

}  // namespace

toml_value toml_reader::parse(const std::string& text) const {
  std::istringstream in{text};
  auto root = toml::parse<toml::discard_comments, std::map, std::vector>(in, file_);
  check_literals(root);
  return root;
}

void toml_reader::check_literals(const toml_value& v) const {
  if (v.is_table()) {
    for (const auto& [key, value] : v.as_table())
      check_literals(value);
  } else if (v.is_array()) {
    for (const auto& value : v.as_array())
      check_literals(value);
  } else if (v.is_integer()) {
    auto x = v.as_integer();
    if ((x == INT64_MAX || x == INT64_MIN) && !integer_literal_fits(literal_of(v)))
      fail(v, "the integer " + literal_of(v) + " does not fit in 64 bits (at most " +
                  std::to_string(INT64_MAX) + ")");
  } else if (v.is_floating()) {
    auto x = v.as_floating();
    if ((x == DBL_MAX || x == -DBL_MAX) && !float_literal_fits(literal_of(v)))
      fail(v, "the number " + literal_of(v) + " is too large for a double");
  }
}

std::string toml_reader::describe_current_exception() const {
  try {
    throw;
  } catch (const failure& e) {
    return e.message;
  } catch (const toml::syntax_error& e) {
    return file_ + ":" + std::to_string(e.location().line()) + ": syntax error: " + one_line(e.what());
  } catch (const toml::exception& e) {
    return file_ + ":" + std::to_string(e.location().line()) + ": " + one_line(e.what());
  } catch (const std::exception& e) {
    return file_ + ": " + one_line(e.what());
  } catch (...) {
    return file_ + ": unreadable";
  }
}

caf::expected<std::string> toml_reader::slurp(const std::filesystem::path& path, errc code,
                                              const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return make_error(code, path.string() + ": cannot open " + what + " (it is a directory)");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(code, path.string() + ": cannot open " + what);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return make_error(code, path.string() + ": cannot read " + what);
  return text.str();
}

std::string toml_reader::where(const toml_value& at) const {
  auto loc = at.location();
  if (loc.line() > 0 && loc.file_name() != "unknown file")
    return file_ + ":" + std::to_string(loc.line());
  return file_;
}

void toml_reader::fail(const toml_value& at, const std::string& what) const {
  throw failure{where(at) + ": " + what};
}

void toml_reader::fail(const std::string& what) const {
  throw failure{file_ + ": " + what};
}

void toml_reader::only(const toml_value& table, const std::string& name,
                       std::initializer_list<const char*> known) const {
  if (!table.is_table())
    fail(table, "'" + name + "' must be a table");
  std::set<std::string> ok(known.begin(), known.end());
  for (const auto& [key, value] : table.as_table())
    if (ok.count(key) == 0)
      fail(value, "unknown key '" + key + "' in [" + name + "]");
}

void toml_reader::fraction(const toml_value& table, const char* key, double& out) const {
  number(table, key, out);
  if (table.is_table() && table.contains(key) && (out < 0 || out > 1))
    fail(table.at(key), "key '" + std::string{key} + "' must be between 0 and 1");
}

void toml_reader::number(const toml_value& table, const char* key, double& out) const {
  if (!table.is_table() || !table.contains(key))
    return;
  const auto& v = table.at(key);
  if (v.is_integer())
    out = static_cast<double>(v.as_integer());
  else
    get(table, key, out);
  if (!std::isfinite(out))
    fail(v, "key '" + std::string{key} + "' must be a finite number");
}

void toml_reader::numbers(const toml_value& table, const char* key, std::vector<double>& out) const {
  if (!table.is_table() || !table.contains(key))
    return;
  const auto& v = table.at(key);
  if (!v.is_array())
    fail(v, "key '" + std::string{key} + "' must be a list of numbers, not " + type_name(v));
  std::vector<double> values;
  for (const auto& x : v.as_array()) {
    if (x.is_integer())
      values.push_back(static_cast<double>(x.as_integer()));
    else if (x.is_floating() && std::isfinite(x.as_floating()))
      values.push_back(x.as_floating());
    else if (x.is_floating())
      fail(x, "key '" + std::string{key} + "' must be a list of finite numbers");
    else
      fail(x, "key '" + std::string{key} + "' must be a list of numbers");
  }
  out = std::move(values);
}

const toml_value& toml_reader::table_or_empty(const toml_value& root, const char* name) {
  static const toml_value empty = toml_table{};
  return root.is_table() && root.contains(name) ? root.at(name) : empty;
}

std::string toml_reader::type_name(const toml_value& v) {
  switch (v.type()) {
    case toml::value_t::empty:
      return "empty";
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::offset_datetime:
    case toml::value_t::local_datetime:
    case toml::value_t::local_date:
    case toml::value_t::local_time:
      return "a date or time";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
  }
  return "unknown";
}

}  // namespace kforge
