#pragma once

#include "runtime/base/error.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kforge {

/// One float32 input or output tensor of a task, row-major.
struct tensor_spec {
  std::string name;
  std::vector<int64_t> shape;
  std::string init = "uniform";  ///< inputs only: "normal" (mean 0, sd 1) or "uniform" in [lo, hi]
  double lo = -1.0;
  double hi = 1.0;

  /// Number of elements (product of the shape).
  [[nodiscard]] int64_t elements() const noexcept;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tensor_spec& x) {
  return f(caf::meta::type_name("tensor_spec"), x.name, x.shape, x.init, x.lo, x.hi);
}

/// One template knob and the integer values it may take.
struct knob {
  std::string name;
  std::vector<int64_t> values;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, knob& x) {
  return f(caf::meta::type_name("knob"), x.name, x.values);
}

/// One knob set to a value in a rendered candidate.
struct knob_setting {
  std::string name;
  int64_t value = 0;
  friend bool operator==(const knob_setting& a, const knob_setting& b) {
    return a.name == b.name && a.value == b.value;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, knob_setting& x) {
  return f(caf::meta::type_name("knob_setting"), x.name, x.value);
}

/// A 64-bit fingerprint of a list of settings, in order: what a task keeps of the settings it
/// evaluated, so that a policy's "tried already?" is a binary search over a sorted vector of
/// integers instead of a scan comparing every earlier list name by name. Two different lists
/// share one with probability 2^-64; the worst that does is one proposal skipped as tried.
[[nodiscard]] uint64_t settings_fingerprint(const std::vector<knob_setting>& settings) noexcept;

/// Inserts `fingerprint` into the sorted `tried`, once.
void add_tried(std::vector<uint64_t>& tried, uint64_t fingerprint);

/// True if the sorted `tried` holds `fingerprint`.
[[nodiscard]] bool was_tried(const std::vector<uint64_t>& tried, uint64_t fingerprint) noexcept;

/// An operator to evolve kernels for, loaded from a task file (docs/task-format.md).
/// Immutable after loading; shared read-only between actors.
struct task_def {
  std::string id;
  std::string family;
  std::string backend;
  std::string description;
  std::string signature;  ///< C++ declaration every kernel must define
  std::string call;       ///< call expression the harness makes, over input/output names
  double flops = 0;       ///< floating-point operations per call
  double bytes = 0;       ///< minimum bytes moved per call
  double atol = 1e-5;
  double rtol = 1e-5;
  /// Largest relative error norm |got - ref|_2 / |ref|_2 an output may have, and the largest
  /// relative difference of the two norms (magnitude); 0 = off. See hardware/gates/compare.hpp.
  double max_rel_error = 1e-3;
  std::vector<tensor_spec> inputs;
  std::vector<tensor_spec> outputs;
  std::vector<knob> knobs;
  std::string reference_source;
  std::string template_source;
  std::filesystem::path file;   ///< the task file it came from
  std::string definition_hash;  ///< SHA-256 over everything that defines the task's semantics
  /// SHA-256 over what the reference's outputs and timing depend on (id, backend, signature, call,
  /// inputs, outputs, reference source): a cached reference outlives edits of the knobs, the
  /// template, the tolerances and the floor figures, which change only definition_hash.
  std::string reference_hash;
};

/// Serializes a whole task definition: a coordinator sends it to a remote verifier worker
/// (issue 16), which prepares the task's reference on its own device. `file` travels as text.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_def& x) {
  std::string file = x.file.string();
  auto restore = caf::meta::load_callback([&]() -> caf::error {
    x.file = file;
    return caf::none;
  });
  return f(caf::meta::type_name("task_def"), x.id, x.family, x.backend, x.description, x.signature, x.call,
           x.flops, x.bytes, x.atol, x.rtol, x.max_rel_error, x.inputs, x.outputs, x.knobs,
           x.reference_source, x.template_source, file, x.definition_hash, x.reference_hash, restore);
}

/// Tasks of a campaign by id; built once at start and shared read-only (std::shared_ptr<const task_map>).
using task_map = std::map<std::string, task_def>;

}  // namespace kforge
