#pragma once

// Loading a catalog of tasks from files of several formats. Each format is a
// row of a table (task_format): the generic loader knows none of them by
// name, so a backend's own problem files (KernelBench's .py) are added by the
// level above (task_loader.hpp) without this code depending on that backend.

#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kforge::hardware {

/// One format of task file.
struct task_format {
  std::string extension;  ///< ".py"; empty: every file no other row claims
  std::function<caf::expected<task_def>(const std::filesystem::path&)> load;  ///< loads one file
};

/// Loads every task file matching any of `globs` (shell wildcards over paths
/// relative to `base`, e.g. "configs/tasks/cpu/*.toml") with the first row of
/// `formats` whose extension the file has, else the row without one; sorted
/// by id. Errors: errc::bad_task for a bad file, a file no row loads, or a
/// duplicate id; errc::bad_config when a glob matches nothing.
[[nodiscard]] caf::expected<std::vector<task_def>> load_tasks(const std::filesystem::path& base,
                                                              const std::vector<std::string>& globs,
                                                              const std::vector<task_format>& formats);

}  // namespace kforge::hardware
