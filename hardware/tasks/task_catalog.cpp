#include "hardware/tasks/task_catalog.hpp"

#include <glob.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <system_error>
#include <thread>

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

caf::expected<task_def> load_one(const std::filesystem::path& file, const std::vector<task_format>& formats) {
  const auto* format = format_of(file, formats);
  if (format == nullptr)
    return make_error(errc::bad_task, file.string() + ": not a task file of a known format");
  return format->load(file);
}

// Parses the files on up to 4 threads (a 600-task suite takes 0.2 s on one core of a 2-core
// machine, all of it on the way to a resume's first evaluation). The results keep the files'
// order, so the first error reported is the same on every run. A format's loader reads its file
// and the files it names and shares no state with another call.
std::vector<caf::expected<task_def>> load_all(const std::vector<std::filesystem::path>& files,
                                              const std::vector<task_format>& formats) {
  std::vector<caf::expected<task_def>> out(files.size(), caf::expected<task_def>{task_def{}});
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < files.size();)
      out[i] = load_one(files[i], formats);
  };
  constexpr std::size_t files_per_thread = 32;  // below it, a thread's start costs more than it saves
  auto threads = std::min<std::size_t>(
      {std::max(1U, std::thread::hardware_concurrency()), 4, files.size() / files_per_thread});
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (auto& t : pool)
    t.join();
  return out;
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
  auto loaded = load_all(files, formats);
  std::vector<task_def> tasks;
  std::map<std::string, std::filesystem::path> ids;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& file = files[i];
    auto& task = loaded[i];
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
