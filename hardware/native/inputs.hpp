#pragma once

#include "runtime/base/task.hpp"

#include <cstdint>
#include <vector>

namespace kforge::hardware {

/// The tensors of one call, in the task's order (inputs or outputs), each flat and row-major.
using tensor_set = std::vector<std::vector<float>>;

/// Generates the inputs of `task` for `seed` (1, 2, ...): each tensor filled
/// as its `init` says (normal: mean 0, sd 1; uniform: [lo, hi)) from a
/// generator seeded by SHA-256 of (task id, seed, input index), so the same
/// task and seed give the same values on every run and in every process (on
/// one libm). Runs in the trusted process; pure and thread-safe.
[[nodiscard]] tensor_set generate_inputs(const task_def& task, int seed);

}  // namespace kforge::hardware
