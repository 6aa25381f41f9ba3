// The CPU backend's reference data as bytes, for the verifier's reference cache (the store's
// `references` table): outputs per seed and the timing; the inputs are regenerated on restore.
//
//   bytes   = magic u32le(header-size) header { seed { output } }
//   magic   = "kforge cpu reference 1\n"
//   header  = task-id "\n" definition-hash "\n" inputs-hash "\n" seeds " " outputs " " timing-fields
//             (inputs-hash = SHA-256 of the inputs the outputs came from: a kforge whose input
//              generator differs regenerates other inputs, and the bytes are refused)
//   output  = u64le(elements) elements x f32 (this host's layout; the build signature pins the host's ABI)
#include "hardware/native/cpu_backend.hpp"

#include "runtime/base/hash.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace kforge::hardware {

namespace {

constexpr std::string_view magic = "kforge cpu reference 1\n";

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xffU));
}

uint64_t get_u64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8U) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  return v;
}

std::string timing_text(const timing_stats& t) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%.17g %.17g %.17g %.17g %" PRId32 " %.17g %d %d", t.median_ns, t.min_ns,
                t.mean_ns, t.stddev_ns, t.count, t.ci_half_ns, t.converged ? 1 : 0, t.noisy ? 1 : 0);
  return buf;
}

// SHA-256 over every input tensor's bytes, seed by seed.
std::string inputs_hash(const std::vector<tensor_set>& inputs) {
  content_hasher h;
  for (const auto& set : inputs)
    for (const auto& tensor : set)
      h.add(std::string_view{reinterpret_cast<const char*>(tensor.data()), tensor.size() * sizeof(float)});
  return h.finish();
}

}  // namespace

std::string cpu_backend::encode_reference(const reference_data& ref) const {
  std::string header = ref.task_id + "\n" + ref.reference_hash + "\n" + inputs_hash(ref.inputs) + "\n" +
                       std::to_string(ref.outputs.size()) + " " +
                       std::to_string(ref.outputs.empty() ? 0 : ref.outputs.front().size()) + " " +
                       timing_text(ref.timing);
  std::string out{magic};
  put_u64(out, header.size());
  out += header;
  for (const auto& seed : ref.outputs) {
    for (const auto& tensor : seed) {
      put_u64(out, tensor.size());
      const auto at = out.size();
      out.resize(at + tensor.size() * sizeof(float));
      if (!tensor.empty())
        std::memcpy(&out[at], tensor.data(), tensor.size() * sizeof(float));
    }
  }
  return out;
}

caf::expected<reference_data> cpu_backend::restore_reference(const task_def& task,
                                                             std::string_view bytes) const {
  auto bad = [&](const std::string& why) {
    return make_error(errc::bad_request, "task " + task.id + ": the cached reference " + why);
  };
  if (bytes.substr(0, magic.size()) != magic)
    return bad("is not in this backend's format");
  bytes.remove_prefix(magic.size());
  if (bytes.size() < 8)
    return bad("is cut short");
  auto header_size = get_u64(bytes);
  bytes.remove_prefix(8);
  if (header_size > bytes.size())
    return bad("is cut short");
  std::istringstream header{std::string{bytes.substr(0, header_size)}};
  bytes.remove_prefix(header_size);
  std::string task_id;
  std::string definition;
  std::string inputs;
  std::getline(header, task_id);
  std::getline(header, definition);
  std::getline(header, inputs);
  std::size_t seeds = 0;
  std::size_t outputs = 0;
  timing_stats t;
  int converged = 0;
  int noisy = 0;
  header >> seeds >> outputs >> t.median_ns >> t.min_ns >> t.mean_ns >> t.stddev_ns >> t.count >>
      t.ci_half_ns >> converged >> noisy;
  if (!header)
    return bad("has a malformed header");
  t.converged = converged != 0;
  t.noisy = noisy != 0;
  if (task_id != task.id)
    return bad("belongs to task " + task_id);
  if (definition != task.reference_hash)
    return bad("was made for another definition of the task");
  if (seeds != static_cast<std::size_t>(config_.seeds) || outputs != task.outputs.size())
    return bad("holds " + std::to_string(seeds) + " seeds of " + std::to_string(outputs) + " outputs, not " +
               std::to_string(config_.seeds) + " of " + std::to_string(task.outputs.size()));
  if (t.count <= 0 || !(t.median_ns > 0))
    return bad("has no timing");
  reference_data ref;
  ref.task_id = task.id;
  ref.reference_hash = task.reference_hash;
  ref.timing = t;
  for (std::size_t s = 0; s < seeds; ++s) {
    tensor_set set;
    for (std::size_t o = 0; o < outputs; ++o) {
      if (bytes.size() < 8)
        return bad("is cut short");
      auto n = get_u64(bytes);
      bytes.remove_prefix(8);
      if (n != static_cast<uint64_t>(task.outputs[o].elements()))
        return bad("holds " + std::to_string(n) + " elements of output " + task.outputs[o].name + ", not " +
                   std::to_string(task.outputs[o].elements()));
      if (n > bytes.size() / sizeof(float))
        return bad("is cut short");
      std::vector<float> values(static_cast<std::size_t>(n));
      if (n > 0)
        std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
      bytes.remove_prefix(values.size() * sizeof(float));
      set.push_back(std::move(values));
    }
    ref.outputs.push_back(std::move(set));
  }
  if (!bytes.empty())
    return bad("has " + std::to_string(bytes.size()) + " bytes too many");
  if (auto err = build_header_sets())
    return err;
  auto object = build_harness(task);
  if (!object)
    return std::move(object.error());
  ref.harness_object = *object;
  for (int seed = 1; seed <= config_.seeds; ++seed)
    ref.inputs.push_back(generate_inputs(task, seed));
  if (inputs_hash(ref.inputs) != inputs)
    return bad("was made from other inputs than this kforge generates");
  return ref;
}

}  // namespace kforge::hardware
