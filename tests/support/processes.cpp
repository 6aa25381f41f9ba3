#include "tests/support/processes.hpp"

#include <filesystem>
#include <fstream>

namespace kforge::test {

std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc", ec}) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream in{entry.path() / "cmdline", std::ios::binary};
    std::string cmdline(4096, '\0');
    in.read(cmdline.data(), static_cast<std::streamsize>(cmdline.size()));
    cmdline.resize(static_cast<std::size_t>(in.gcount()));
    if (cmdline.find(marker) != std::string::npos)
      found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return found;
}

}  // namespace kforge::test
