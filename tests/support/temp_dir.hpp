#pragma once

#include <filesystem>
#include <string>

namespace kforge::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
 public:
  /// Creates "<tmp>/kforge-test-<prefix>-XXXXXX".
  explicit temp_dir(const std::string& prefix = "t");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// Writes `text` to the file `name` in the directory (replacing it); returns its path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace kforge::test
