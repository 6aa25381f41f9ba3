#pragma once

// kforge's own task files (docs/task-format.md, TOML) and the rendering of a
// candidate from a task's template. Knows no other task format.

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

/// Renders a candidate from the task's template: one "#define NAME value" line
/// per setting, then the template text.
[[nodiscard]] std::string render_template(const task_def& task, const std::vector<knob_setting>& settings);

}  // namespace kforge::hardware
