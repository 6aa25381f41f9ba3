#include "hardware/tasks/task_catalog.hpp"

#include <glob.h>

#include <algorithm>
#include <map>
#include <set>
#include <system_error>

namespace kforge::hardware {

namespace {

const task_format* format_of(const std::filesystem::path& file, const std::vector<task_format>& formats) {
  const task_format* fallback = nullptr;
  auto extension = file.extension().string();
  for (const auto& f : formats) {
    if (f.extension.empty() && fallback == nullptr)
      fallback = &f;
    else if (!f.extension.empty() && f.extension == extension)
      return &f;
  }
  return fallback;
}

}  // namespace

caf::expected<std::vector<task_def>> load_tasks(const std::filesystem::path& base,
                                                const std::vector<std::string>& globs,
                                                const std::vector<task_format>& formats) {
  std::vector<std::filesystem::path> files;
  std::set<std::string> seen;
  for (const auto& pattern : globs) {
    auto full = (base / pattern).string();
    glob_t matches{};
    int rc = ::glob(full.c_str(), 0, nullptr, &matches);
    if (rc == 0) {
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
        std::filesystem::path path{matches.gl_pathv[i]};
        std::error_code ec;
        auto key = std::filesystem::weakly_canonical(path, ec).string();
        if (seen.insert(ec ? path.string() : key).second)
          files.push_back(path);
      }
    }
    ::globfree(&matches);
    if (rc == GLOB_NOMATCH) {
      return make_error(errc::bad_config,
                        "task glob '" + pattern + "' matches no file under " + base.string());
    }
    if (rc != 0)
      return make_error(errc::bad_config, "task glob '" + pattern + "' failed under " + base.string());
  }
  std::vector<task_def> tasks;
  std::map<std::string, std::filesystem::path> ids;
  for (const auto& file : files) {
    const auto* format = format_of(file, formats);
    if (format == nullptr)
      return make_error(errc::bad_task, file.string() + ": not a task file of a known format");
    auto task = format->load(file);
    if (!task)
      return std::move(task.error());
    auto [it, fresh] = ids.emplace(task->id, file);
    if (!fresh) {
      return make_error(errc::bad_task, file.string() + ": duplicate task id '" + task->id + "' (also in " +
                                            it->second.string() + ")");
    }
    tasks.push_back(std::move(*task));
  }
  std::sort(tasks.begin(), tasks.end(), [](const task_def& a, const task_def& b) { return a.id < b.id; });
  return tasks;
}

}  // namespace kforge::hardware
