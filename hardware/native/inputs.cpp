#include "hardware/native/inputs.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/rng.hpp"

#include <cmath>
#include <string>

namespace kforge::hardware {

namespace {

uint64_t seed_for(const std::string& task_id, int seed, std::size_t input) {
  auto digest = sha256_hex(task_id + "/" + std::to_string(seed) + "/" + std::to_string(input));
  return std::stoull(digest.substr(0, 16), nullptr, 16);
}

}  // namespace

tensor_set generate_inputs(const task_def& task, int seed) {
  constexpr double two_pi = 6.283185307179586476925286766559;
  tensor_set out;
  out.reserve(task.inputs.size());
  for (std::size_t i = 0; i < task.inputs.size(); ++i) {
    const auto& spec = task.inputs[i];
    splitmix64 rng{seed_for(task.id, seed, i)};
    std::vector<float> values(static_cast<std::size_t>(spec.elements()));
    if (spec.init == "normal") {
      // Box-Muller, both outputs used; 1 - unit() is in (0, 1], so log() is finite.
      for (std::size_t k = 0; k < values.size(); k += 2) {
        double radius = std::sqrt(-2.0 * std::log(1.0 - rng.unit()));
        double angle = two_pi * rng.unit();
        values[k] = static_cast<float>(radius * std::cos(angle));
        if (k + 1 < values.size())
          values[k + 1] = static_cast<float>(radius * std::sin(angle));
      }
    } else {
      for (auto& v : values)
        v = static_cast<float>(spec.lo + (spec.hi - spec.lo) * rng.unit());
    }
    out.push_back(std::move(values));
  }
  return out;
}

}  // namespace kforge::hardware
