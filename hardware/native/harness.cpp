#include "hardware/native/harness.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

namespace kforge::hardware {

namespace {

constexpr char tensor_magic[8] = {'K', 'F', 'T', 'E', 'N', 'S', 'O', 'R'};
constexpr uint32_t format_version = 1;

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

// What the native harness's records mean: every seed's outputs and inputs, the timing and the timed
// outputs of each timing set, each exactly once.
class native_rules final : public record_rules {
 public:
  native_rules(const task_def& task, const harness_params& params) : task_(task), params_(params) {
    auto seeds = static_cast<std::size_t>(std::max(params.seeds, 1));
    auto sets = seeds;
    report_.outputs.resize(seeds);
    report_.inputs_after.resize(seeds);
    report_.timed_outputs.resize(sets);
    seen_outputs_.assign(seeds, false);
    seen_inputs_.assign(seeds, false);
    seen_timed_.assign(sets, false);
  }

  std::string take(uint32_t type, uint32_t index, std::string_view payload) override {
    switch (static_cast<record_type>(type)) {
      case record_type::outputs:
        return take_tensors(index, payload, task_.outputs, seen_outputs_, report_.outputs);
      case record_type::inputs:
        return take_tensors(index, payload, task_.inputs, seen_inputs_, report_.inputs_after);
      case record_type::timed_outputs:
        return take_tensors(index, payload, task_.outputs, seen_timed_, report_.timed_outputs);
      case record_type::timing:
        return take_timing(index, payload);
      case record_type::end:
      case record_type::json_result:
        break;
    }
    return "unknown record type " + std::to_string(type);
  }

  bool complete() const override {
    auto missing = [](const std::vector<bool>& seen) {
      return std::find(seen.begin(), seen.end(), false) != seen.end();
    };
    return !missing(seen_outputs_) && !missing(seen_inputs_) && !missing(seen_timed_) && seen_timing_;
  }

  harness_report take_report() { return std::move(report_); }

 private:
  std::string take_timing(uint32_t index, std::string_view payload) {
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

  const task_def& task_;
  const harness_params& params_;
  harness_report report_;
  std::vector<bool> seen_outputs_;
  std::vector<bool> seen_inputs_;
  std::vector<bool> seen_timed_;
  bool seen_timing_ = false;
};

}  // namespace

std::string input_file_name(int seed) {
  return "in_" + std::to_string(seed) + ".bin";
}

std::size_t max_channel_bytes(const task_def& task, const harness_params& params) {
  auto seeds = static_cast<std::size_t>(std::max(params.seeds, 1));
  auto sets = seeds;
  auto out = record_header_bytes + tensor_payload_bytes(task.outputs);
  auto in = record_header_bytes + tensor_payload_bytes(task.inputs);
  auto timing = record_header_bytes + 8 * static_cast<std::size_t>(std::max(params.max_runs, 1));
  return seeds * (out + in) + timing + sets * out + record_header_bytes + end_payload_bytes;
}

caf::expected<harness_report> parse_channel(std::string_view bytes, const run_nonce& nonce,
                                            const task_def& task, const harness_params& params) {
  native_rules rules{task, params};
  auto end = parse_records(bytes, nonce, rules);
  if (!end)
    return std::move(end.error());
  auto report = rules.take_report();
  report.pinned_cpu = end->pinned_cpu;
  return report;
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
