#pragma once

// KernelBench problems as kforge tasks. A problem file (a PyTorch `Model`
// with `get_inputs()` and `get_init_inputs()`) from a directory the user
// names becomes a task of backend "kernelbench": its reference is the file
// itself, its template a `ModelNew` generator (CUDA through
// torch.utils.cpp_extension.load_inline, templates/elementwise.py) for the
// operator kind kforge recognises in `forward`, with knobs for the offline policy.

#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"

#include <filesystem>

namespace kforge::hardware {

/// Loads a KernelBench problem file as a task: id "kb<level>_<file stem,
/// lower case>" (level from a parent folder named levelN, else 0), backend
/// "kernelbench", the file as reference, the generated ModelNew template and
/// its knobs. Errors: errc::bad_task naming the file (unreadable, no Model,
/// get_inputs or get_init_inputs, no supported operator).
[[nodiscard]] caf::expected<task_def> load_kernelbench_problem(const std::filesystem::path& file);

}  // namespace kforge::hardware
