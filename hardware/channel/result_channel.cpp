#include "hardware/channel/result_channel.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kforge::hardware {

namespace {

constexpr char record_magic[8] = {'K', 'F', 'R', 'E', 'C', 'O', 'R', 'D'};

template <class T>
void append(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
T load(std::string_view bytes, std::size_t at) {
  T value{};
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

const char* record_name(uint32_t type) {
  switch (static_cast<record_type>(type)) {
    case record_type::outputs:
      return "outputs";
    case record_type::inputs:
      return "inputs";
    case record_type::timing:
      return "timing";
    case record_type::timed_outputs:
      return "timed outputs";
    case record_type::end:
      return "end";
    case record_type::json_result:
      return "result";
  }
  return "unknown";
}

caf::error fail(const std::string& why) {
  return make_error(errc::io_failed, why);
}

// The end record: its count must match what came before, and every required record must have come.
std::string take_end(uint32_t index, std::string_view payload, uint64_t records, const record_rules& rules,
                     channel_end& end) {
  if (index != 0 || payload.size() != end_payload_bytes)
    return "holds " + std::to_string(payload.size()) + " bytes";
  if (load<uint64_t>(payload, 0) != records)
    return "counts " + std::to_string(load<uint64_t>(payload, 0)) + " records, but " +
           std::to_string(records) + " came before it";
  if (!rules.complete())
    return "comes before every result was reported";
  auto pinned = load<int64_t>(payload, 8);
  end.pinned_cpu = pinned >= 0 && pinned < 1 << 20 ? static_cast<int>(pinned) : -1;
  return {};
}

}  // namespace

caf::expected<channel_end> parse_records(std::string_view bytes, const run_nonce& nonce,
                                         record_rules& rules) {
  if (bytes.empty())
    return fail("is empty: the harness reported nothing");
  channel_end end;
  bool ended = false;
  uint64_t records = 0;
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto where = " at byte " + std::to_string(at);
    if (ended)
      return fail("holds bytes after the end record" + where + " (something else wrote to it)");
    auto left = bytes.size() - at;
    auto magic_bytes = std::min(left, sizeof record_magic);
    if (std::memcmp(bytes.data() + at, record_magic, magic_bytes) != 0)
      return fail("holds bytes that are not a harness record" + where +
                  " (something other than the harness wrote to the result descriptor)");
    if (left < record_header_bytes)
      return fail("is cut short inside a record header" + where);
    if (std::memcmp(bytes.data() + at + 8, nonce.data(), nonce.size()) != 0)
      return fail("holds a record with a wrong nonce" + where +
                  ": it was not written by this run's harness (a forged result)");
    auto type = load<uint32_t>(bytes, at + 24);
    auto index = load<uint32_t>(bytes, at + 28);
    auto size = load<uint64_t>(bytes, at + 32);
    if (size > left - record_header_bytes)
      return fail("is cut short inside a record" + where);
    auto payload = bytes.substr(at + record_header_bytes, static_cast<std::size_t>(size));
    std::string problem;
    if (static_cast<record_type>(type) == record_type::end) {
      problem = take_end(index, payload, records, rules, end);
      ended = problem.empty();
    } else {
      problem = rules.take(type, index, payload);
    }
    if (!problem.empty())
      return fail("has a bad " + std::string{record_name(type)} + " record" + where + ": " + problem);
    ++records;
    at += record_header_bytes + static_cast<std::size_t>(size);
  }
  if (!ended)
    return fail("has no end record: the harness did not finish");
  return end;
}

std::string channel_problem(const caf::error& err) {
  auto text = describe(err);
  auto colon = text.find(": ");
  return "the result channel " + (colon == std::string::npos ? text : text.substr(colon + 2));
}

caf::expected<run_nonce> make_nonce() {
  run_nonce nonce{};
  std::size_t got = 0;
  while (got < nonce.size()) {
    auto n = ::getrandom(nonce.data() + got, nonce.size() - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return make_error(errc::io_failed, std::string{"getrandom: "} + std::strerror(errno));
    got += static_cast<std::size_t>(n);
  }
  return nonce;
}

std::string to_hex(const run_nonce& nonce) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto byte : nonce) {
    out += digits[byte >> 4];
    out += digits[byte & 0xF];
  }
  return out;
}

std::string encode_record(record_type type, uint32_t index, const run_nonce& nonce,
                          std::string_view payload) {
  std::string out{record_magic, sizeof record_magic};
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  append(out, static_cast<uint32_t>(type));
  append(out, index);
  append(out, static_cast<uint64_t>(payload.size()));
  out.append(payload);
  return out;
}

std::string encode_end(uint64_t records, int64_t pinned_cpu) {
  std::string out;
  append(out, records);
  append(out, pinned_cpu);
  return out;
}

caf::expected<unique_fd> create_channel(const std::filesystem::path& path) {
  unique_fd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666)};
  if (!fd.is_open() || ::fchmod(fd.get(), 0666) != 0)
    return make_error(errc::io_failed, "cannot create " + path.string() + ": " + std::strerror(errno));
  return fd;
}

caf::expected<std::string> read_channel(int fd, std::size_t cap) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(errc::io_failed, std::string{"cannot be examined: "} + std::strerror(errno));
  auto size = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
  if (size > cap) {
    return make_error(errc::io_failed,
                      "holds " + std::to_string(size) + " bytes, more than the " + std::to_string(cap) +
                          " its harness writes (something else wrote to the result descriptor)");
  }
  std::string bytes(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    auto n = ::pread(fd, bytes.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

}  // namespace kforge::hardware
