#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace kforge::test {

temp_dir::temp_dir(const std::string& prefix) {
  auto pattern = (std::filesystem::temp_directory_path() / ("kforge-test-" + prefix + "-XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = buf.data();
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::write(const std::string& name, const std::string& text) const {
  auto file = path_ / name;
  std::ofstream{file} << text;
  return file.string();
}

}  // namespace kforge::test
