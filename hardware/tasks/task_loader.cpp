#include "hardware/tasks/task_loader.hpp"

#include "hardware/kernelbench/problem.hpp"

namespace kforge::hardware {

const std::vector<task_format>& task_formats() {
  static const std::vector<task_format> formats = {
      {".py", load_kernelbench_problem},
      {"", load_task},
  };
  return formats;
}

caf::expected<std::vector<task_def>> load_tasks(const std::filesystem::path& base,
                                                const std::vector<std::string>& globs) {
  return load_tasks(base, globs, task_formats());
}

}  // namespace kforge::hardware
