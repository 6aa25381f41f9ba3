#pragma once

#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace kforge::log {

/// Severity of a log line. error: an operator must act; warning: degraded but
/// continuing; info: campaign milestones; debug: per message.
enum class level { debug = 0, info = 1, warning = 2, error = 3, off = 4 };

/// Parses "debug", "info", "warning", "error" or "off"; returns false on anything else.
[[nodiscard]] bool parse_level(std::string_view text, level& out) noexcept;

/// Sets the process-wide threshold. Thread-safe.
void set_level(level lvl) noexcept;

/// Sends log lines to `path` (appending) instead of stderr. Returns false if it cannot be opened.
[[nodiscard]] bool set_file(const std::string& path);

/// One key=value field of a log line.
struct field {
  std::string key;
  std::string value;
  template <class T>
  field(std::string k, const T& v) : key(std::move(k)) {
    std::ostringstream os;
    os << v;
    value = os.str();
  }
  field(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  field(std::string k, const char* v) : key(std::move(k)), value(v) {}
};

/// A named logger for one component ("kforge.task", "kforge.verifier", ...).
/// Lines are "TIME LEVEL component message key=value ...". Cheap to copy; thread-safe.
class logger {
 public:
  /// Makes a logger for `component`.
  explicit logger(std::string component) : component_(std::move(component)) {}

  /// Writes one line at `lvl` if the threshold lets it through.
  void write(level lvl, std::string_view message, std::initializer_list<field> fields) const;

  void debug(std::string_view m, std::initializer_list<field> f = {}) const { write(level::debug, m, f); }
  void info(std::string_view m, std::initializer_list<field> f = {}) const { write(level::info, m, f); }
  void warning(std::string_view m, std::initializer_list<field> f = {}) const { write(level::warning, m, f); }
  void error(std::string_view m, std::initializer_list<field> f = {}) const { write(level::error, m, f); }

  /// True if lines at `lvl` are written; use to skip building expensive fields.
  [[nodiscard]] static bool enabled(level lvl) noexcept;

 private:
  std::string component_;
};

}  // namespace kforge::log
