#include "hardware/native/harness.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace kforge::hardware {

namespace {

constexpr char tensor_magic[8] = {'K', 'F', 'T', 'E', 'N', 'S', 'O', 'R'};
constexpr char record_magic[8] = {'K', 'F', 'R', 'E', 'C', 'O', 'R', 'D'};
constexpr uint32_t format_version = 1;
constexpr std::size_t end_payload_bytes = 16;

bool read_exact(std::ifstream& in, void* data, std::size_t bytes) {
  in.read(static_cast<char*>(data), static_cast<std::streamsize>(bytes));
  return static_cast<std::size_t>(in.gcount()) == bytes;
}

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

std::size_t tensor_payload_bytes(const std::vector<tensor_spec>& specs) {
  std::size_t bytes = 8 + 8 * specs.size();
  for (const auto& s : specs)
    bytes += static_cast<std::size_t>(s.elements()) * sizeof(float);
  return bytes;
}

// Decodes a tensor payload that must hold exactly the tensors of `specs`; "" or why not.
std::string decode_tensors(std::string_view payload, const std::vector<tensor_spec>& specs, tensor_set& out) {
  if (payload.size() != tensor_payload_bytes(specs))
    return "holds " + std::to_string(payload.size()) + " bytes, expected " +
           std::to_string(tensor_payload_bytes(specs));
  if (load<uint32_t>(payload, 0) != specs.size() || load<uint32_t>(payload, 4) != 0)
    return "has a bad tensor count";
  std::size_t at = 8 + 8 * specs.size();
  out.clear();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto expected = static_cast<uint64_t>(specs[i].elements());
    if (load<uint64_t>(payload, 8 + 8 * i) != expected)
      return "gives tensor " + specs[i].name + " the wrong size";
    std::vector<float> values(static_cast<std::size_t>(expected));
    std::memcpy(values.data(), payload.data() + at, values.size() * sizeof(float));
    at += values.size() * sizeof(float);
    out.push_back(std::move(values));
  }
  return {};
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
  }
  return "unknown";
}

// The state of one parse: which records were seen, and the report being filled.
class channel_parser {
 public:
  channel_parser(const run_nonce& nonce, const task_def& task, const harness_params& params)
      : nonce_(nonce), task_(task), params_(params) {
    seeds_ = static_cast<std::size_t>(std::max(params.seeds, 1));
    sets_ = std::min<std::size_t>(seeds_, 2);
    report_.outputs.resize(seeds_);
    report_.inputs_after.resize(seeds_);
    report_.timed_outputs.resize(sets_);
    seen_outputs_.assign(seeds_, false);
    seen_inputs_.assign(seeds_, false);
    seen_timed_.assign(sets_, false);
  }

  caf::expected<harness_report> parse(std::string_view bytes) {
    if (bytes.empty())
      return fail("is empty: the harness reported nothing");
    std::size_t at = 0;
    while (at < bytes.size()) {
      auto where = " at byte " + std::to_string(at);
      if (ended_)
        return fail("holds bytes after the end record" + where + " (something else wrote to it)");
      auto left = bytes.size() - at;
      auto magic_bytes = std::min(left, sizeof record_magic);
      if (std::memcmp(bytes.data() + at, record_magic, magic_bytes) != 0)
        return fail("holds bytes that are not a harness record" + where +
                    " (something other than the harness wrote to the result descriptor)");
      if (left < record_header_bytes)
        return fail("is cut short inside a record header" + where);
      if (std::memcmp(bytes.data() + at + 8, nonce_.data(), nonce_.size()) != 0)
        return fail("holds a record with a wrong nonce" + where +
                    ": it was not written by this run's harness (a forged result)");
      auto type = load<uint32_t>(bytes, at + 24);
      auto index = load<uint32_t>(bytes, at + 28);
      auto size = load<uint64_t>(bytes, at + 32);
      if (size > left - record_header_bytes)
        return fail("is cut short inside a record" + where);
      auto payload = bytes.substr(at + record_header_bytes, static_cast<std::size_t>(size));
      auto problem = take(type, index, payload);
      if (!problem.empty())
        return fail("has a bad " + std::string{record_name(type)} + " record" + where + ": " + problem);
      ++records_;
      at += record_header_bytes + static_cast<std::size_t>(size);
    }
    if (!ended_)
      return fail("has no end record: the harness did not finish");
    return std::move(report_);
  }

 private:
  static caf::error fail(const std::string& why) { return make_error(errc::io_failed, why); }

  // Takes one record with a valid header; "" or why it is not acceptable.
  std::string take(uint32_t type, uint32_t index, std::string_view payload) {
    switch (static_cast<record_type>(type)) {
      case record_type::outputs:
        return take_tensors(index, payload, task_.outputs, seen_outputs_, report_.outputs);
      case record_type::inputs:
        return take_tensors(index, payload, task_.inputs, seen_inputs_, report_.inputs_after);
      case record_type::timed_outputs:
        return take_tensors(index, payload, task_.outputs, seen_timed_, report_.timed_outputs);
      case record_type::timing: {
        if (seen_timing_)
          return "a second timing record";
        auto count = payload.size() / sizeof(uint64_t);
        if (index != 0 || payload.size() % sizeof(uint64_t) != 0 || count == 0 ||
            count > static_cast<std::size_t>(std::max(params_.max_runs, 1)))
          return "holds " + std::to_string(payload.size()) + " bytes";
        report_.times_ns.resize(count);
        std::memcpy(report_.times_ns.data(), payload.data(), payload.size());
        seen_timing_ = true;
        return {};
      }
      case record_type::end:
        return take_end(index, payload);
    }
    return "unknown record type " + std::to_string(type);
  }

  std::string take_tensors(uint32_t index, std::string_view payload, const std::vector<tensor_spec>& specs,
                           std::vector<bool>& seen, std::vector<tensor_set>& out) {
    if (index < 1 || index > seen.size())
      return "seed " + std::to_string(index) + " is out of range";
    if (seen[index - 1])
      return "seed " + std::to_string(index) + " appears twice";
    auto problem = decode_tensors(payload, specs, out[index - 1]);
    if (!problem.empty())
      return "seed " + std::to_string(index) + " " + problem;
    seen[index - 1] = true;
    return {};
  }

  std::string take_end(uint32_t index, std::string_view payload) {
    if (index != 0 || payload.size() != end_payload_bytes)
      return "holds " + std::to_string(payload.size()) + " bytes";
    if (load<uint64_t>(payload, 0) != records_)
      return "counts " + std::to_string(load<uint64_t>(payload, 0)) + " records, but " +
             std::to_string(records_) + " came before it";
    auto missing = [](const std::vector<bool>& seen) {
      return std::find(seen.begin(), seen.end(), false) != seen.end();
    };
    if (missing(seen_outputs_) || missing(seen_inputs_) || missing(seen_timed_) || !seen_timing_)
      return "comes before every result was reported";
    auto pinned = load<int64_t>(payload, 8);
    report_.pinned_cpu = pinned >= 0 && pinned < 1 << 20 ? static_cast<int>(pinned) : -1;
    ended_ = true;
    return {};
  }

  const run_nonce& nonce_;
  const task_def& task_;
  const harness_params& params_;
  std::size_t seeds_ = 0;
  std::size_t sets_ = 0;
  harness_report report_;
  std::vector<bool> seen_outputs_;
  std::vector<bool> seen_inputs_;
  std::vector<bool> seen_timed_;
  bool seen_timing_ = false;
  bool ended_ = false;
  uint64_t records_ = 0;
};

}  // namespace

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

std::string input_file_name(int seed) {
  return "in_" + std::to_string(seed) + ".bin";
}

std::size_t max_channel_bytes(const task_def& task, const harness_params& params) {
  auto seeds = static_cast<std::size_t>(std::max(params.seeds, 1));
  auto sets = std::min<std::size_t>(seeds, 2);
  auto out = record_header_bytes + tensor_payload_bytes(task.outputs);
  auto in = record_header_bytes + tensor_payload_bytes(task.inputs);
  auto timing = record_header_bytes + 8 * static_cast<std::size_t>(std::max(params.max_runs, 1));
  return seeds * (out + in) + timing + sets * out + record_header_bytes + end_payload_bytes;
}

caf::expected<harness_report> parse_channel(std::string_view bytes, const run_nonce& nonce,
                                            const task_def& task, const harness_params& params) {
  return channel_parser{nonce, task, params}.parse(bytes);
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

std::string encode_tensors(const tensor_set& tensors) {
  std::string out;
  append(out, static_cast<uint32_t>(tensors.size()));
  append(out, uint32_t{0});
  for (const auto& t : tensors)
    append(out, static_cast<uint64_t>(t.size()));
  for (const auto& t : tensors)
    out.append(reinterpret_cast<const char*>(t.data()), t.size() * sizeof(float));
  return out;
}

std::string encode_times(const std::vector<uint64_t>& ns) {
  std::string out;
  for (auto x : ns)
    append(out, x);
  return out;
}

std::string encode_end(uint64_t records, int64_t pinned_cpu) {
  std::string out;
  append(out, records);
  append(out, pinned_cpu);
  return out;
}

caf::error write_tensor_file(const std::filesystem::path& path, const tensor_set& tensors) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  auto count = static_cast<uint32_t>(tensors.size());
  out.write(tensor_magic, sizeof tensor_magic);
  out.write(reinterpret_cast<const char*>(&format_version), sizeof format_version);
  out.write(reinterpret_cast<const char*>(&count), sizeof count);
  for (const auto& t : tensors) {
    uint64_t n = t.size();
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
  }
  for (const auto& t : tensors) {
    out.write(reinterpret_cast<const char*>(t.data()),
              static_cast<std::streamsize>(t.size() * sizeof(float)));
  }
  out.close();
  if (!out)
    return make_error(errc::io_failed, "cannot write " + path.string());
  return {};
}

caf::expected<tensor_set> read_tensor_file(const std::filesystem::path& path,
                                           const std::vector<tensor_spec>& specs) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(errc::io_failed, "missing");
  char magic[8];
  uint32_t version = 0;
  uint32_t count = 0;
  if (!read_exact(in, magic, sizeof magic) || !read_exact(in, &version, sizeof version) ||
      !read_exact(in, &count, sizeof count)) {
    return make_error(errc::io_failed, "too short");
  }
  if (std::memcmp(magic, tensor_magic, sizeof magic) != 0 || version != format_version) {
    return make_error(errc::io_failed, "bad header");
  }
  if (count != specs.size()) {
    return make_error(errc::io_failed, "holds " + std::to_string(count) + " tensors, expected " +
                                           std::to_string(specs.size()));
  }
  std::vector<uint64_t> sizes(count);
  if (!read_exact(in, sizes.data(), sizes.size() * sizeof(uint64_t)))
    return make_error(errc::io_failed, "too short");
  tensor_set out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto expected = static_cast<uint64_t>(specs[i].elements());
    if (sizes[i] != expected) {
      return make_error(errc::io_failed, "tensor " + specs[i].name + " has " + std::to_string(sizes[i]) +
                                             " elements, expected " + std::to_string(expected));
    }
    std::vector<float> values(static_cast<std::size_t>(expected));
    if (!read_exact(in, values.data(), values.size() * sizeof(float)))
      return make_error(errc::io_failed, "too short");
    out.push_back(std::move(values));
  }
  if (in.peek() != std::char_traits<char>::eof())
    return make_error(errc::io_failed, "has trailing bytes");
  return out;
}

}  // namespace kforge::hardware
