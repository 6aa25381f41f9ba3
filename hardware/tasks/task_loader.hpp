#pragma once

// The front of task loading: kforge's task files and every backend's own
// problem files. The table of formats lives here, above both the generic
// loader (task_catalog.hpp, task_file.hpp) and the KernelBench loader, so
// neither depends on the other.

#include "hardware/tasks/task_catalog.hpp"
#include "hardware/tasks/task_file.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kforge::hardware {

/// The task formats kforge reads: KernelBench problem files (.py) and, for
/// every other file, kforge's TOML task files.
[[nodiscard]] const std::vector<task_format>& task_formats();

/// load_tasks over task_formats(): every task file matching any of `globs`
/// (relative to `base`), sorted by id. Errors: those of load_tasks.
[[nodiscard]] caf::expected<std::vector<task_def>> load_tasks(const std::filesystem::path& base,
                                                              const std::vector<std::string>& globs);

/// One task file, read with the format of task_formats() its extension names (a KernelBench
/// problem for `.py`, else a TOML task file). Errors: errc::bad_task naming the file.
[[nodiscard]] caf::expected<task_def> load_task_file(const std::filesystem::path& file);

}  // namespace kforge::hardware
