#pragma once

// KernelBench problems as kforge tasks. A problem file (a PyTorch `Model`
// with `get_inputs()` and `get_init_inputs()`) from a directory the user
// names becomes a task of backend "kernelbench": its reference is the file
// itself, its family and input shapes read from the source (problem_info.hpp),
// and, where kforge recognises the operator of `forward`, a `ModelNew`
// generator (CUDA through torch.utils.cpp_extension.load_inline,
// templates/elementwise.py) with knobs for the offline policy. Every problem
// loads; one without a generator serves model policies only.

#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"

#include <filesystem>

namespace kforge::hardware {

/// Loads a KernelBench problem file as a task: id "kb<level>_<file stem,
/// lower case>" (level from a parent folder named levelN, else 0), backend
/// "kernelbench", the file as reference, family and inputs from the source, and the
/// generated ModelNew template and its knobs where the operator has a generator (else
/// both empty). Errors: errc::bad_task naming the file (unreadable, no Model,
/// get_inputs, get_init_inputs or forward).
[[nodiscard]] caf::expected<task_def> load_kernelbench_problem(const std::filesystem::path& file);

}  // namespace kforge::hardware
