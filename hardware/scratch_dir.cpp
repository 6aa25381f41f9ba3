#include "hardware/scratch_dir.hpp"

#include "runtime/log.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>
#include <vector>

namespace kforge::hardware {

namespace {

// Gives the owner rwx on `dir` and every directory below it; symlinks are not followed.
void grant_owner_access(const std::filesystem::path& dir) noexcept {
  std::error_code ec;
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(dir, ec)))
    return;
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::add,
                               ec);
  for (std::filesystem::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
    grant_owner_access(it->path());
  }
}

}  // namespace

caf::expected<scratch_dir> scratch_dir::create(const std::filesystem::path& parent,
                                               const std::string& prefix) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot create " + parent.string() + ": " + ec.message());
  auto absolute = std::filesystem::absolute(parent, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot resolve " + parent.string() + ": " + ec.message());
  auto pattern = (absolute / (prefix + "XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return make_error(errc::io_failed, "mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  return scratch_dir{std::filesystem::path{buf.data()}};
}

scratch_dir::~scratch_dir() {
  remove();
}

scratch_dir::scratch_dir(scratch_dir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

scratch_dir& scratch_dir::operator=(scratch_dir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void scratch_dir::remove() noexcept {
  if (path_.empty())
    return;
  if (auto err = remove_tree(path_)) {
    log::logger{"kforge.sandbox"}.warning("scratch dir not removed",
                                          {{"dir", path_.string()}, {"error", describe(err)}});
  }
  path_.clear();
}

std::filesystem::path scratch_dir::release() noexcept {
  return std::exchange(path_, {});
}

caf::error remove_tree(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!ec)
    return {};
  // A sandboxed process may have left directories without write or search
  // permission (which stops remove_all for a non-root owner): grant them, retry.
  grant_owner_access(dir);
  ec.clear();
  std::filesystem::remove_all(dir, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot remove " + dir.string() + ": " + ec.message());
  return {};
}

}  // namespace kforge::hardware
