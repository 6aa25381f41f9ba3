#pragma once

#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kforge::hardware {

/// Loads and validates one task file. Errors: errc::bad_task naming file:line
/// and the problem (missing key, wrong type, unknown init, empty shape, unreadable source).
[[nodiscard]] caf::expected<task_def> load_task(const std::filesystem::path& file);

/// Loads every task file matching any of `globs` (shell wildcards over paths
/// relative to `base`, e.g. "configs/tasks/cpu/*.toml"), sorted by id.
/// Errors: errc::bad_task for a bad file or duplicate id; errc::bad_config
/// when a glob matches nothing.
[[nodiscard]] caf::expected<std::vector<task_def>> load_tasks(const std::filesystem::path& base,
                                                              const std::vector<std::string>& globs);

/// Renders a candidate from the task's template: one "#define NAME value" line
/// per setting, then the template text.
[[nodiscard]] std::string render_template(const task_def& task, const std::vector<knob_setting>& settings);

}  // namespace kforge::hardware
