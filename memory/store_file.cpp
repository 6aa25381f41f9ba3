#include "memory/store_file.hpp"

#include "runtime/base/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace kforge::memory {

namespace {

// LMDB 0.9's meta page, as data.mdb holds it (64-bit builds): a 16-byte page header
// (pgno u64, pad u16, flags u16, lower u16, upper u16), then MDB_meta: magic u32, version u32,
// address u64, mapsize u64, two MDB_db of 48 bytes (the free-list DB's first u32 holds the page
// size), last_pg u64, txnid u64.
constexpr std::size_t meta_bytes = 152;
constexpr std::size_t flags_at = 10;
constexpr std::size_t magic_at = 16;
constexpr std::size_t version_at = 20;
constexpr std::size_t page_size_at = 40;
constexpr std::size_t last_page_at = 136;
constexpr std::size_t txn_id_at = 144;
constexpr uint16_t meta_page_flag = 0x08;  // P_META
constexpr uint32_t lmdb_magic = 0xBEEFC0DEU;
constexpr uint32_t lmdb_data_version = 1;

template <class T>
T read_le(const std::array<unsigned char, meta_bytes>& page, std::size_t at) {
  T value{};
  std::memcpy(&value, page.data() + at, sizeof value);  // LMDB writes host order; hosts are little-endian
  return value;
}

struct fd_closer {
  int fd;
  ~fd_closer() {
    if (fd >= 0)
      ::close(fd);
  }
};

caf::error damaged(const std::filesystem::path& file, const std::string& what) {
  return make_error(errc::store_corrupt,
                    "store file " + file.string() + " " + what + "; " + recovery_hint(file.parent_path()));
}

struct meta_page {
  bool valid = false;
  uint32_t page_size = 0;
  uint64_t last_page = 0;
  uint64_t txn_id = 0;
};

caf::expected<meta_page> read_meta(int fd, uint64_t offset, const std::filesystem::path& file) {
  std::array<unsigned char, meta_bytes> page{};
  const ssize_t got = ::pread(fd, page.data(), page.size(), static_cast<off_t>(offset));
  if (got < 0)
    return make_error(errc::io_failed, "read " + file.string() + ": " + std::strerror(errno));
  meta_page m;
  if (static_cast<std::size_t>(got) < page.size())
    return m;
  const auto flags = read_le<uint16_t>(page, flags_at);
  m.valid = (flags & meta_page_flag) != 0 && read_le<uint32_t>(page, magic_at) == lmdb_magic &&
            read_le<uint32_t>(page, version_at) == lmdb_data_version;
  m.page_size = read_le<uint32_t>(page, page_size_at);
  m.last_page = read_le<uint64_t>(page, last_page_at);
  m.txn_id = read_le<uint64_t>(page, txn_id_at);
  return m;
}

bool plausible_page_size(uint32_t size) noexcept {
  return size >= 512 && size <= 65536 && (size & (size - 1)) == 0;
}

}  // namespace

std::string recovery_hint(const std::filesystem::path& dir) {
  return "`kforge store check --store " + dir.string() +
         "` lists what is damaged, `kforge store salvage --store " + dir.string() +
         " OUT` copies every readable record into a new store OUT";
}

caf::expected<data_file_header> read_data_file_header(const std::filesystem::path& dir) {
  const auto file = dir / "data.mdb";
  const fd_closer fd{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0)
    return make_error(errc::io_failed, "open " + file.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0)
    return make_error(errc::io_failed, "stat " + file.string() + ": " + std::strerror(errno));
  data_file_header h;
  h.file_bytes = static_cast<uint64_t>(st.st_size);
  if (h.file_bytes == 0)
    return damaged(file, "is empty (0 bytes): its data is gone");
  auto first = read_meta(fd.fd, 0, file);
  if (!first)
    return std::move(first.error());
  if (!first->valid || !plausible_page_size(first->page_size)) {
    return damaged(file, "is not an LMDB data file (no valid meta page at its start; " +
                             std::to_string(h.file_bytes) + " bytes)");
  }
  h.page_size = first->page_size;
  if (h.file_bytes < 2ULL * h.page_size) {
    return damaged(file, "is truncated: " + std::to_string(h.file_bytes) + " bytes, shorter than its two " +
                             std::to_string(h.page_size) + "-byte meta pages");
  }
  auto second = read_meta(fd.fd, h.page_size, file);
  if (!second)
    return std::move(second.error());
  if (!second->valid)
    return damaged(file, "has a damaged second meta page (offset " + std::to_string(h.page_size) + ")");
  // LMDB uses the meta page of the newer transaction.
  const meta_page& newer = second->txn_id > first->txn_id ? *second : *first;
  h.last_page = newer.last_page;
  h.txn_id = newer.txn_id;
  return h;
}

caf::expected<store_presence> check_store_dir(const std::filesystem::path& dir, bool allow_short) {
  std::error_code ec;
  const auto status = std::filesystem::status(dir, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    return store_presence::absent;
  if (ec)
    return make_error(errc::io_failed, "stat " + dir.string() + ": " + ec.message());
  if (status.type() != std::filesystem::file_type::directory)
    return make_error(errc::io_failed, "store path " + dir.string() + " is not a directory");
  const auto data = dir / "data.mdb";
  if (!std::filesystem::exists(data, ec)) {
    bool has_lock = false;
    bool has_other = false;
    for (const auto& entry : std::filesystem::directory_iterator{dir, ec}) {
      if (entry.path().filename() == "lock.mdb")
        has_lock = true;
      else
        has_other = true;
    }
    if (ec)
      return make_error(errc::io_failed, "list " + dir.string() + ": " + ec.message());
    if (has_lock)
      return damaged(data, "is missing (lock.mdb is there, so a store was here): its data is gone");
    if (has_other) {
      return make_error(errc::store_corrupt, "store directory " + dir.string() +
                                                 " is not a kforge store: it holds files but no data.mdb, "
                                                 "and kforge makes no store beside foreign files; "
                                                 "name a new or empty directory");
    }
    return store_presence::absent;
  }
  auto header = read_data_file_header(dir);
  if (!header)
    return std::move(header.error());
  if (!allow_short && header->file_bytes < header->needed_bytes()) {
    return damaged(data, "is truncated: " + std::to_string(header->file_bytes) + " bytes, its header says " +
                             std::to_string(header->needed_bytes()) + " (last page " +
                             std::to_string(header->last_page) + ", " + std::to_string(header->page_size) +
                             "-byte pages)");
  }
  return store_presence::existing;
}

}  // namespace kforge::memory
