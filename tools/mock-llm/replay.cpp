#include "tools/mock-llm/replay.hpp"

#include "runtime/base/error.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace kforge::mock {

namespace fs = std::filesystem;

replay_set::replay_set(std::map<std::string, std::vector<replay_file>> tasks) : files_(std::move(tasks)) {}

const replay_file* replay_set::next(const std::string& task_id) {
  auto it = files_.find(task_id);
  if (it == files_.end() || it->second.empty())
    return nullptr;
  std::lock_guard<std::mutex> lock{mutex_};
  auto& at = cursor_[task_id];
  const auto* f = &it->second[at % it->second.size()];
  at += 1;
  return f;
}

caf::expected<std::map<std::string, std::vector<replay_file>>> load_replay(const fs::path& dir) {
  constexpr std::uintmax_t max_bytes = 1 << 20;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return make_error(errc::bad_config, "replay directory " + dir.string() + " is not a directory");
  std::map<std::string, std::vector<replay_file>> out;
  for (const auto& task_dir : fs::directory_iterator{dir, ec}) {
    if (!task_dir.is_directory())
      continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator{task_dir.path(), ec}) {
      auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".py" || ext == ".cpp" || ext == ".cu"))
        files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
      auto size = fs::file_size(p, ec);
      if (ec || size == 0 || size > max_bytes)
        return make_error(errc::bad_config,
                          "replay file " + p.string() + (ec ? " cannot be read" : " is empty or over 1 MiB"));
      std::ifstream in{p, std::ios::binary};
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.good() && !in.eof())
        return make_error(errc::bad_config, "replay file " + p.string() + " cannot be read");
      out[task_dir.path().filename().string()].push_back({p.filename().string(), text.str()});
    }
  }
  if (ec)
    return make_error(errc::bad_config, "replay directory " + dir.string() + ": " + ec.message());
  return out;
}

std::string replay_reply(const replay_file& f) {
  bool python = f.name.size() > 3 && f.name.compare(f.name.size() - 3, 3, ".py") == 0;
  std::string text = "Here is my implementation.\n\nOptimization: the kernel of " + f.name + "\n\n";
  text += std::string{python ? "```python\n" : "```cpp\n"} + f.source +
          (f.source.empty() || f.source.back() == '\n' ? "" : "\n") + "```\n";
  return text;
}

}  // namespace kforge::mock
