#include "hardware/inputs.hpp"

#include "runtime/base/hash.hpp"

#include <cmath>
#include <string>

namespace kforge::hardware {

namespace {

// splitmix64: small, fast, and fully specified (std:: distributions are not
// the same across standard libraries, so they are not used for reproducible data).
class splitmix64 {
 public:
  explicit splitmix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

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
