#include "memory/env.hpp"

#include "memory/map_guard.hpp"
#include "memory/store_file.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/log.hpp"

#include <lmdb.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <system_error>
#include <utility>

namespace kforge::memory {

namespace detail {

struct env_state {
  struct env_closer {
    void operator()(MDB_env* handle) const noexcept { mdb_env_close(handle); }
  };

  std::unique_ptr<MDB_env, env_closer> handle;
  std::array<MDB_dbi, table_count> dbis{};
  std::array<bool, table_count> present{};  // false: the table is absent (read-only opens only)
  std::filesystem::path path;
  log::logger log{"kforge.memory"};
  // Guard open_txns and growing. LMDB may only remap while no transaction of this process is
  // open: grow_map sets `growing`, which holds back new transactions, and waits for the open ones.
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t open_txns = 0;
  bool growing = false;

  void acquire() {
    std::unique_lock<std::mutex> lock{mutex};
    changed.wait(lock, [this] { return !growing; });
    ++open_txns;
  }

  void release() noexcept {
    {
      const std::lock_guard<std::mutex> lock{mutex};
      KFORGE_ASSERT(open_txns > 0);
      --open_txns;
    }
    changed.notify_all();
  }
};

bool has_table(const env_state& state, table t) noexcept {
  return state.present[static_cast<std::size_t>(t)];
}

void txn_closer::operator()(MDB_txn* handle) const noexcept {
  mdb_txn_abort(handle);
  if (env != nullptr)
    env->release();
}

}  // namespace detail

namespace {

/// Counts an operation as an open transaction for as long as it lives.
class txn_slot {
 public:
  explicit txn_slot(detail::env_state* state) : state_(state) { state_->acquire(); }
  ~txn_slot() {
    if (state_ != nullptr)
      state_->release();
  }
  txn_slot(const txn_slot&) = delete;
  txn_slot& operator=(const txn_slot&) = delete;

  /// Hands the count over to a transaction object, which releases it when it closes.
  void keep() noexcept { state_ = nullptr; }

 private:
  detail::env_state* state_;
};

struct cursor_closer {
  void operator()(MDB_cursor* cursor) const noexcept { mdb_cursor_close(cursor); }
};

MDB_val to_val(std::string_view bytes) noexcept {  // LMDB takes non-const pointers, only reads them
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

std::string_view to_view(const MDB_val& val) noexcept {
  return {static_cast<const char*>(val.mv_data), val.mv_size};
}

std::string where(table t, std::string_view key) {
  return std::string{"table="} + table_name(t) + " key=" + printable_key(key);
}

caf::error lmdb_error(int rc, const std::string& context) {
  const errc code = rc == MDB_MAP_FULL ? errc::store_map_full : errc::store_failed;
  return make_error(code, context + ": " + mdb_strerror(rc));
}

caf::error fault_error(const detail::env_state& st, const std::string& context) {
  return make_error(
      errc::store_corrupt,
      context + ": reading the map of " + (st.path / "data.mdb").string() +
          " hit a page that is not in the file or a pointer out of the map (SIGBUS, SIGSEGV); " +
          recovery_hint(st.path));
}

caf::error lmdb_read_error(const detail::env_state& st, int rc, const std::string& context) {
  // MDB_CORRUPTED, MDB_PAGE_NOTFOUND and MDB_BAD_TXN on a read mean damaged pages.
  if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_BAD_TXN || rc == MDB_INVALID)
    return make_error(errc::store_corrupt, context + ": " + mdb_strerror(rc) + " in " +
                                               (st.path / "data.mdb").string() + "; " +
                                               recovery_hint(st.path));
  return lmdb_error(rc, context);
}

caf::error closed_error(const char* operation, table t) {
  return make_error(errc::store_failed,
                    std::string{operation} + " table=" + table_name(t) + ": transaction is not open");
}

/// Begins an LMDB transaction for a caller that holds a txn_slot.
caf::expected<MDB_txn*> begin_txn(detail::env_state& st, unsigned flags) {
  MDB_txn* raw = nullptr;
  int rc = mdb_txn_begin(st.handle.get(), nullptr, flags, &raw);
  if (rc == MDB_MAP_RESIZED) {
    // Another process grew the map. Adopt its size, which LMDB allows while no other
    // transaction of this process is open (ours is counted already), then retry once.
    {
      const std::lock_guard<std::mutex> lock{st.mutex};
      rc = st.open_txns == 1 ? mdb_env_set_mapsize(st.handle.get(), 0) : MDB_MAP_RESIZED;
    }
    if (rc == 0)
      rc = mdb_txn_begin(st.handle.get(), nullptr, flags, &raw);
  }
  const char* kind = (flags & MDB_RDONLY) != 0 ? "read" : "write";
  if (rc != 0)
    return lmdb_error(rc, std::string{"mdb_txn_begin ("} + kind + ") path=" + st.path.string());
  return raw;
}

}  // namespace

// ---- txn -------------------------------------------------------------------------------

caf::error txn::copy_out(const void* data, std::size_t size, std::string& out, table t, std::string_view key,
                         value_window window) const {
  const std::size_t copied = std::min(size, window.bytes);
  if (!guarded_) {
    out.assign(static_cast<const char*>(data), copied);
    detail::release_pages(data, size);  // a big value is read once
    return caf::none;
  }
  // A damaged node can claim any size: no value is larger than the map.
  const auto& st = *state();
  MDB_envinfo info{};
  if (mdb_env_info(st.handle.get(), &info) != 0)
    return make_error(errc::store_failed, "mdb_env_info " + where(t, key));
  if (size > info.me_mapsize) {
    return make_error(errc::store_corrupt, "read " + where(t, key) + ": a value of " + std::to_string(size) +
                                               " bytes, more than the map of " +
                                               (st.path / "data.mdb").string() + " (damaged page); " +
                                               recovery_hint(st.path));
  }
  out.resize(copied);
  const bool read = detail::guarded_read([&] {
    std::memcpy(out.data(), data, copied);
    if (window.touch_rest)
      detail::touch_pages(static_cast<const char*>(data) + copied, size - copied);
  });
  if (!read)
    return fault_error(st, "read " + where(t, key));
  detail::release_pages(data, size);
  return caf::none;
}

caf::expected<std::string> txn::get(table t, std::string_view key) const {
  if (!handle_)
    return closed_error("get", t);
  if (!detail::has_table(*state(), t))
    return make_error(errc::not_found, "get " + where(t, key) + ": absent (no such table)");
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = 0;
  const auto dbi = state()->dbis[static_cast<std::size_t>(t)];
  if (guarded_) {
    if (!detail::guarded_read([&] { rc = mdb_get(handle_.get(), dbi, &k, &v); }))
      return fault_error(*state(), "mdb_get " + where(t, key));
  } else {
    rc = mdb_get(handle_.get(), dbi, &k, &v);
  }
  if (rc == MDB_NOTFOUND)
    return make_error(errc::not_found, "get " + where(t, key) + ": absent");
  if (rc != 0)
    return lmdb_read_error(*state(), rc, "mdb_get " + where(t, key));
  std::string out;
  if (auto err = copy_out(v.mv_data, v.mv_size, out, t, key))
    return err;
  return out;
}

caf::expected<bool> txn::contains(table t, std::string_view key) const {
  if (!handle_)
    return closed_error("contains", t);
  if (!detail::has_table(*state(), t))
    return false;
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = 0;
  const auto dbi = state()->dbis[static_cast<std::size_t>(t)];
  if (guarded_) {
    if (!detail::guarded_read([&] { rc = mdb_get(handle_.get(), dbi, &k, &v); }))
      return fault_error(*state(), "mdb_get " + where(t, key));
  } else {
    rc = mdb_get(handle_.get(), dbi, &k, &v);
  }
  if (rc == MDB_NOTFOUND)
    return false;
  if (rc != 0)
    return lmdb_read_error(*state(), rc, "mdb_get " + where(t, key));
  return true;
}

caf::error txn::for_each(table t, std::string_view prefix, const entry_visitor& visit) const {
  return walk(t, prefix, false, {}, [&](auto key, auto value, std::size_t) { return visit(key, value); });
}

caf::error txn::for_each_from_end(table t, const entry_visitor& visit) const {
  return walk(t, {}, true, {}, [&](auto key, auto value, std::size_t) { return visit(key, value); });
}

caf::error txn::for_each_head(table t, value_window window, bool backward, const sized_visitor& visit) const {
  return walk(t, {}, backward, window, visit);
}

caf::error txn::walk(table t, std::string_view prefix, bool backward, value_window window,
                     const sized_visitor& visit) const {
  if (!handle_)
    return closed_error("for_each", t);
  if (!detail::has_table(*state(), t))
    return caf::none;
  MDB_cursor* raw = nullptr;
  int rc = mdb_cursor_open(handle_.get(), state()->dbis[static_cast<std::size_t>(t)], &raw);
  if (rc != 0)
    return lmdb_error(rc, "mdb_cursor_open " + where(t, prefix));
  const std::unique_ptr<MDB_cursor, cursor_closer> cursor{raw};
  MDB_val k = to_val(prefix);
  MDB_val v{};
  // Keys and values are copied out of the map before the visitor sees them (the visitor runs
  // outside the guard); an unguarded (write) transaction hands out views as before.
  std::string key_copy;
  std::string value_copy;
  auto next = [&](MDB_cursor_op op) -> caf::error {
    if (!guarded_) {
      rc = mdb_cursor_get(cursor.get(), &k, &v, op);
      return caf::none;
    }
    if (!detail::guarded_read([&] { rc = mdb_cursor_get(cursor.get(), &k, &v, op); }))
      return fault_error(*state(), "mdb_cursor_get " + where(t, key_copy));
    if (rc != 0)
      return caf::none;
    // On error the message names the key before the damaged one.
    if (auto err = copy_out(k.mv_data, k.mv_size, key_copy, t, key_copy))
      return err;
    return copy_out(v.mv_data, v.mv_size, value_copy, t, key_copy, window);
  };
  // An empty key is invalid for MDB_SET_RANGE, so a scan of everything starts at the first entry.
  const MDB_cursor_op first = backward ? MDB_LAST : prefix.empty() ? MDB_FIRST : MDB_SET_RANGE;
  if (auto err = next(first))
    return err;
  while (rc == 0) {
    const std::string_view key = guarded_ ? std::string_view{key_copy} : to_view(k);
    const std::string_view value =
        guarded_ ? std::string_view{value_copy} : to_view(v).substr(0, std::min(v.mv_size, window.bytes));
    if (key.substr(0, prefix.size()) != prefix)
      return caf::none;
    if (auto err = visit(key, value, v.mv_size))
      return err;
    if (auto err = next(backward ? MDB_PREV : MDB_NEXT))
      return err;
  }
  if (rc != MDB_NOTFOUND)
    return lmdb_read_error(*state(), rc, "mdb_cursor_get " + where(t, guarded_ ? key_copy : prefix));
  return caf::none;
}

std::filesystem::path txn::store_path() const {
  return handle_ ? state()->path : std::filesystem::path{};
}

caf::expected<std::size_t> txn::entries(table t) const {
  if (!handle_)
    return closed_error("entries", t);
  if (!detail::has_table(*state(), t))
    return std::size_t{0};
  MDB_stat stat{};
  int rc = 0;
  const auto dbi = state()->dbis[static_cast<std::size_t>(t)];
  if (!guarded_)
    rc = mdb_stat(handle_.get(), dbi, &stat);
  else if (!detail::guarded_read([&] { rc = mdb_stat(handle_.get(), dbi, &stat); }))
    return fault_error(*state(), std::string{"mdb_stat table="} + table_name(t));
  if (rc != 0)
    return lmdb_error(rc, std::string{"mdb_stat table="} + table_name(t));
  return stat.ms_entries;
}

// ---- write_txn -------------------------------------------------------------------------

caf::error write_txn::put(table t, std::string_view key, std::string_view value) {
  if (!handle_)
    return closed_error("put", t);
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  const int rc = mdb_put(handle_.get(), state()->dbis[static_cast<std::size_t>(t)], &k, &v, 0);
  if (rc != 0) {
    // A failed put may leave the LMDB transaction unusable; abort so that the caller
    // redoes the whole event and grow_map is not blocked by this transaction.
    handle_.reset();
    return lmdb_error(rc, "mdb_put " + where(t, key) + " bytes=" + std::to_string(value.size()));
  }
  return caf::none;
}

caf::error write_txn::erase(table t, std::string_view key) {
  if (!handle_)
    return closed_error("erase", t);
  MDB_val k = to_val(key);
  const int rc = mdb_del(handle_.get(), state()->dbis[static_cast<std::size_t>(t)], &k, nullptr);
  if (rc == MDB_NOTFOUND)
    return caf::none;
  if (rc != 0) {
    handle_.reset();
    return lmdb_error(rc, "mdb_del " + where(t, key));
  }
  return caf::none;
}

caf::error write_txn::commit() {
  if (!handle_)
    return make_error(errc::store_failed, "commit: transaction is not open");
  detail::env_state* state = this->state();
  // mdb_txn_commit frees the transaction also when it fails.
  const int rc = mdb_txn_commit(handle_.release());
  state->release();
  if (rc != 0)
    return lmdb_error(rc, "mdb_txn_commit");
  return caf::none;
}

// ---- env -------------------------------------------------------------------------------

env::env() noexcept = default;
env::env(std::unique_ptr<detail::env_state> state) noexcept : state_(std::move(state)) {}
env::env(env&&) noexcept = default;
env& env::operator=(env&&) noexcept = default;

env::~env() {
  if (state_)
    KFORGE_ASSERT(state_->open_txns == 0);
}

caf::expected<env> env::open(const std::filesystem::path& dir, const env_options& opts) {
  auto presence = check_store_dir(dir, opts.read_only);
  if (!presence)
    return std::move(presence.error());
  const bool existing = *presence == store_presence::existing;
  if (opts.read_only && !existing)
    return make_error(errc::not_found, "no store at " + dir.string());
  std::error_code ec;
  if (!opts.read_only) {
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return make_error(errc::io_failed, "create store directory " + dir.string() + ": " + ec.message());
    // Only kforge's own user may enter the store (sandboxed programs run as another one).
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    if (ec)
      return make_error(errc::io_failed, "chmod 0700 store directory " + dir.string() + ": " + ec.message());
  }
  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  if (rc != 0)
    return lmdb_error(rc, "mdb_env_create " + dir.string());
  auto state = std::make_unique<detail::env_state>();
  state->handle.reset(raw);
  state->path = dir;
  const std::string at = " path=" + dir.string();
  // Named tables need maxdbs before mdb_env_open; leave room for tables of later versions.
  rc = mdb_env_set_maxdbs(raw, static_cast<MDB_dbi>(table_count + 8));
  if (rc != 0)
    return lmdb_error(rc, "mdb_env_set_maxdbs" + at);
  rc = mdb_env_set_maxreaders(raw, opts.max_readers);
  if (rc != 0)
    return lmdb_error(rc, "mdb_env_set_maxreaders" + at);
  rc = mdb_env_set_mapsize(raw, opts.map_size_bytes);
  if (rc != 0)
    return lmdb_error(rc, "mdb_env_set_mapsize" + at);
  const unsigned flags = MDB_NOTLS | (opts.no_sync ? MDB_NOSYNC : 0U) | (opts.read_only ? MDB_RDONLY : 0U);
  rc = mdb_env_open(raw, dir.c_str(), flags, 0600);
  if (rc != 0)
    return lmdb_error(rc, "mdb_env_open" + at);
  if (existing) {
    // Look before writing: open the tables that exist in a read transaction, let the caller
    // check the store, and only then create the tables it lacks (an older store).
    if (auto err = open_tables(*state, false, nullptr, at))
      return err;
    if (opts.check_existing) {
      state->acquire();
      MDB_txn* check = nullptr;
      rc = mdb_txn_begin(raw, nullptr, MDB_RDONLY, &check);
      if (rc != 0) {
        state->release();
        return lmdb_error(rc, "mdb_txn_begin (check)" + at);
      }
      const read_txn tx{state.get(), check};
      if (auto err = opts.check_existing(tx))
        return err;
    }
    const bool complete = std::all_of(state->present.begin(), state->present.end(), [](bool p) { return p; });
    if (!opts.read_only && !complete) {
      if (auto err = open_tables(*state, true, nullptr, at))
        return err;
    }
  } else if (auto err = open_tables(*state, true, opts.on_create, at)) {
    return err;
  }
  env result{std::move(state)};
  result.state_->log.debug("store env opened", {{"path", dir.string()}, {"map_size", result.map_size()}});
  return result;
}

caf::error env::open_tables(detail::env_state& st, bool create,
                            const std::function<caf::error(write_txn&)>& on_create, const std::string& at) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(st.handle.get(), nullptr, create ? 0U : MDB_RDONLY, &txn);
  if (rc != 0)
    return lmdb_error(rc, "mdb_txn_begin" + at);
  st.acquire();
  if (!create) {
    // Handles opened in a read transaction become the environment's only when it commits.
    const auto fail = [&](caf::error err) {
      mdb_txn_abort(txn);
      st.release();
      return err;
    };
    for (std::size_t i = 0; i < table_count; ++i) {
      if (!detail::guarded_read([&] { rc = mdb_dbi_open(txn, table_names[i], 0, &st.dbis[i]); }))
        return fail(fault_error(st, std::string{"mdb_dbi_open table="} + table_names[i] + at));
      if (rc == MDB_NOTFOUND)
        continue;
      if (rc != 0)
        return fail(lmdb_read_error(st, rc, std::string{"mdb_dbi_open table="} + table_names[i] + at));
      st.present[i] = true;
    }
    rc = mdb_txn_commit(txn);
    st.release();
    if (rc != 0)
      return lmdb_error(rc, "mdb_txn_commit (open tables)" + at);
    return caf::none;
  }
  write_txn tx{&st, txn};  // aborts unless committed
  for (std::size_t i = 0; i < table_count; ++i) {
    rc = mdb_dbi_open(txn, table_names[i], MDB_CREATE, &st.dbis[i]);
    if (rc != 0)
      return lmdb_error(rc, std::string{"mdb_dbi_open table="} + table_names[i] + at);
    st.present[i] = true;
  }
  if (on_create) {
    if (auto err = on_create(tx))
      return err;
  }
  if (auto err = tx.commit())
    return make_error(code_of(err), describe(err) + " (open tables)" + at);
  return caf::none;
}

caf::expected<read_txn> env::begin_read() const {
  if (!state_)
    return make_error(errc::store_failed, "begin_read: environment is closed");
  txn_slot slot{state_.get()};
  auto raw = begin_txn(*state_, MDB_RDONLY);
  if (!raw)
    return std::move(raw.error());
  slot.keep();
  return read_txn{state_.get(), *raw};
}

caf::expected<write_txn> env::begin_write() {
  if (!state_)
    return make_error(errc::store_failed, "begin_write: environment is closed");
  txn_slot slot{state_.get()};
  auto raw = begin_txn(*state_, 0);
  if (!raw)
    return std::move(raw.error());
  slot.keep();
  return write_txn{state_.get(), *raw};
}

caf::error env::grow_map(double factor, std::chrono::milliseconds wait) {
  if (!state_)
    return make_error(errc::store_failed, "grow_map: environment is closed");
  if (!(factor > 1.0) || !std::isfinite(factor)) {
    return make_error(errc::store_failed, "grow_map: factor " + std::to_string(factor) + " is not > 1");
  }
  auto& st = *state_;
  std::unique_lock<std::mutex> lock{st.mutex};
  st.changed.wait(lock, [&st] { return !st.growing; });
  st.growing = true;
  const bool idle = st.changed.wait_for(lock, wait, [&st] { return st.open_txns == 0; });
  const auto result = [&]() -> caf::error {
    if (!idle) {
      return make_error(errc::store_failed, "grow_map path=" + st.path.string() + ": " +
                                                std::to_string(st.open_txns) +
                                                " transactions or snapshots still open after " +
                                                std::to_string(wait.count()) + " ms");
    }
    MDB_envinfo info{};
    MDB_stat stat{};
    int rc = mdb_env_info(st.handle.get(), &info);
    if (rc == 0)
      rc = mdb_env_stat(st.handle.get(), &stat);
    if (rc != 0)
      return lmdb_error(rc, "mdb_env_info path=" + st.path.string());
    const std::size_t page = stat.ms_psize;
    const auto wanted = static_cast<std::size_t>(std::ceil(static_cast<double>(info.me_mapsize) * factor));
    const std::size_t size = (wanted + page - 1) / page * page;
    rc = mdb_env_set_mapsize(st.handle.get(), size);
    if (rc != 0)
      return lmdb_error(rc, "mdb_env_set_mapsize size=" + std::to_string(size));
    st.log.info("store map grown",
                {{"path", st.path.string()}, {"from_bytes", info.me_mapsize}, {"to_bytes", size}});
    return caf::none;
  }();
  st.growing = false;
  lock.unlock();
  st.changed.notify_all();
  return result;
}

std::size_t env::release_resident() noexcept {
  if (!state_)
    return 0;
  std::unique_lock<std::mutex> lock{state_->mutex};  // no remap while held; a read-only shared map
  state_->changed.wait(lock, [this] { return !state_->growing; });
  mdb_filehandle_t fd = -1;  // (MDB_envinfo's me_mapaddr is the address of a fixed map only)
  return mdb_env_get_fd(state_->handle.get(), &fd) == 0 ? detail::release_file_maps(fd) : 0;
}

std::size_t env::map_size() const noexcept {
  if (!state_)
    return 0;
  MDB_envinfo info{};
  if (mdb_env_info(state_->handle.get(), &info) != 0)
    return 0;
  return info.me_mapsize;
}

caf::error env::snapshot_to(const std::filesystem::path& dir) const {
  if (!state_)
    return make_error(errc::store_failed, "snapshot: environment is closed");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec) || !std::filesystem::is_empty(dir, ec)) {
      return make_error(errc::io_failed,
                        "snapshot: " + dir.string() + " exists and is not an empty directory");
    }
  } else if (!std::filesystem::create_directories(dir, ec) || ec) {
    return make_error(errc::io_failed, "snapshot: create " + dir.string() + ": " + ec.message());
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  if (ec)
    return make_error(errc::io_failed, "snapshot: chmod 0700 " + dir.string() + ": " + ec.message());
  // The compacting copy reads through its own read transaction: count it, so that
  // grow_map does not remap under it.
  const txn_slot slot{state_.get()};
  const int rc = mdb_env_copy2(state_->handle.get(), dir.c_str(), MDB_CP_COMPACT);
  if (rc != 0)
    return lmdb_error(rc, "mdb_env_copy2 " + state_->path.string() + " -> " + dir.string());
  state_->log.info("store snapshot written", {{"path", state_->path.string()}, {"to", dir.string()}});
  return caf::none;
}

const std::filesystem::path& env::path() const noexcept {
  static const std::filesystem::path none;
  return state_ ? state_->path : none;
}

}  // namespace kforge::memory
