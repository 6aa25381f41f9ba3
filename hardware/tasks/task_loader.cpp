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

caf::expected<task_def> load_task_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return make_error(errc::bad_task, file.string() + ": no such task file");
  for (const auto& f : task_formats())
    if (!f.extension.empty() && f.extension == file.extension().string())
      return f.load(file);
  return load_task(file);
}

}  // namespace kforge::hardware
