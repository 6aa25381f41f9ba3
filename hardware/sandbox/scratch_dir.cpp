#include "hardware/sandbox/scratch_dir.hpp"

#include "hardware/sandbox/unique_fd.hpp"
#include "runtime/base/log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
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

// Creates `dir` and its missing parents, each with mode 0711 whatever the umask.
caf::error create_parents(const std::filesystem::path& dir) {
  std::filesystem::path prefix;
  for (const auto& part : dir) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0711) == 0) {
      if (::chmod(prefix.c_str(), 0711) != 0)
        return make_error(errc::io_failed, "cannot chmod " + prefix.string() + ": " + std::strerror(errno));
    } else if (errno != EEXIST) {
      return make_error(errc::io_failed, "cannot create " + prefix.string() + ": " + std::strerror(errno));
    }
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return make_error(errc::io_failed, "cannot create " + dir.string() + ": not a directory");
  return {};
}

// Changes the owner of everything in the open directory `dir` (not of `dir`
// itself), descending at most `depth_left` levels. `where` names it in errors.
caf::error change_owner_below(int dir, const std::string& where, uid_t uid, gid_t gid, int depth_left) {
  unique_fd listing{::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!listing.is_open())
    return make_error(errc::io_failed, "cannot open " + where + ": " + std::strerror(errno));
  std::unique_ptr<DIR, int (*)(DIR*)> stream{::fdopendir(listing.get()), &::closedir};
  if (!stream)
    return make_error(errc::io_failed, "cannot list " + where + ": " + std::strerror(errno));
  static_cast<void>(listing.release());  // the stream owns it now
  while (auto* entry = ::readdir(stream.get())) {
    std::string name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    if (::fchownat(dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
      return make_error(errc::io_failed, "cannot chown " + where + "/" + name + ": " + std::strerror(errno));
    if (depth_left <= 0 || (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN))
      continue;
    unique_fd sub{::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (!sub.is_open()) {
      if (errno == ENOTDIR || errno == ELOOP)
        continue;  // not a directory after all (DT_UNKNOWN), or a link
      return make_error(errc::io_failed, "cannot open " + where + "/" + name + ": " + std::strerror(errno));
    }
    if (auto err = change_owner_below(sub.get(), where + "/" + name, uid, gid, depth_left - 1))
      return err;
  }
  return {};
}

}  // namespace

caf::expected<scratch_dir> scratch_dir::create(const std::filesystem::path& parent,
                                               const std::string& prefix) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(parent, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot resolve " + parent.string() + ": " + ec.message());
  if (auto err = create_parents(absolute))
    return err;
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

caf::error change_owner_tree(const std::filesystem::path& dir, uid_t uid, gid_t gid) {
  unique_fd top{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (!top.is_open())
    return make_error(errc::io_failed, "cannot open " + dir.string() + ": " + std::strerror(errno));
  if (::fchown(top.get(), uid, gid) != 0)
    return make_error(errc::io_failed, "cannot chown " + dir.string() + ": " + std::strerror(errno));
  return change_owner_below(top.get(), dir.string(), uid, gid, 64);
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

std::string safe_name(const std::string& id) {
  std::string out;
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    out += ok ? c : '_';
    if (out.size() == 48)
      break;
  }
  return out.empty() ? "cand" : out;
}

caf::error write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out)
    return make_error(errc::io_failed, "cannot write " + path.string());
  return {};
}

caf::error place_text(const std::filesystem::path& path, std::string_view text, mode_t mode) {
  auto pattern = path.string() + ".tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  unique_fd fd{::mkstemp(name.data())};
  if (!fd.is_open())
    return make_error(errc::io_failed, "cannot create a temporary file next to " + path.string() + ": " +
                                           std::strerror(errno));
  std::filesystem::path tmp{name.data()};
  auto fail = [&](const std::string& what) {
    auto why = std::string{std::strerror(errno)};
    ::unlink(tmp.c_str());
    return make_error(errc::io_failed, what + " " + tmp.string() + ": " + why);
  };
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd.get(), mode) != 0)
    return fail("cannot set the mode of");
  if (::close(fd.release()) != 0)
    return fail("cannot close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto why = std::string{std::strerror(errno)};
    ::unlink(tmp.c_str());
    return make_error(errc::io_failed, "cannot place " + path.string() + ": " + why);
  }
  return {};
}

std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof())
    return std::nullopt;
  return ss.str();
}

}  // namespace kforge::hardware
