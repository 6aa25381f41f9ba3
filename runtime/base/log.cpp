#include "runtime/base/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace kforge::log {

namespace {

// The log sink is process-wide by nature; it is the one piece of shared state,
// guarded by a mutex and touched only here.
struct sink {
  std::mutex mutex;
  std::FILE* file = stderr;
  std::atomic<int> threshold{static_cast<int>(level::info)};
};

sink& the_sink() {
  static sink instance;
  return instance;
}

const char* name_of(level lvl) {
  switch (lvl) {
    case level::debug:
      return "DEBUG";
    case level::info:
      return "INFO";
    case level::warning:
      return "WARN";
    case level::error:
      return "ERROR";
    case level::off:
      return "OFF";
  }
  return "?";
}

bool needs_quotes(const std::string& v) {
  if (v.empty())
    return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t')
      return true;
  return false;
}

}  // namespace

bool parse_level(std::string_view text, level& out) noexcept {
  if (text == "debug")
    out = level::debug;
  else if (text == "info")
    out = level::info;
  else if (text == "warning" || text == "warn")
    out = level::warning;
  else if (text == "error")
    out = level::error;
  else if (text == "off")
    out = level::off;
  else
    return false;
  return true;
}

void set_level(level lvl) noexcept {
  the_sink().threshold = static_cast<int>(lvl);
}

bool set_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr)
    return false;
  auto& s = the_sink();
  std::lock_guard<std::mutex> guard{s.mutex};
  if (s.file != stderr)
    std::fclose(s.file);
  s.file = f;
  return true;
}

bool logger::enabled(level lvl) noexcept {
  return static_cast<int>(lvl) >= the_sink().threshold.load();
}

void logger::write(level lvl, std::string_view message, std::initializer_list<field> fields) const {
  if (!enabled(lvl))
    return;
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line;
  line.reserve(128);
  line += stamp;
  line += '.';
  char ms[8];
  std::snprintf(ms, sizeof(ms), "%03d", static_cast<int>(millis));
  line += ms;
  line += "Z ";
  line += name_of(lvl);
  line += ' ';
  line += component_;
  line += ' ';
  line += message;
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    if (needs_quotes(f.value)) {
      line += '"';
      for (char c : f.value) {
        if (c == '"' || c == '\\')
          line += '\\';
        line += c == '\n' ? ' ' : c;
      }
      line += '"';
    } else {
      line += f.value;
    }
  }
  line += '\n';
  auto& s = the_sink();
  std::lock_guard<std::mutex> guard{s.mutex};
  std::fwrite(line.data(), 1, line.size(), s.file);
  std::fflush(s.file);
}

}  // namespace kforge::log
