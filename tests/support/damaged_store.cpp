#include "tests/support/damaged_store.hpp"

#include "runtime/base/hash.hpp"

#include <lmdb.h>

#include <sys/stat.h>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kforge::test {

std::string candidate_marker(const std::string& campaign, int task, int seq) {
  return "kforge-marker " + campaign + " task " + std::to_string(task) + " seq " + std::to_string(seq) + ";";
}

sample_campaign_ids write_sample_campaign(memory::store& st, const std::string& name, int tasks,
                                          int per_task) {
  sample_campaign_ids ids;
  ids.campaign = name;
  auto tx = st.write();
  if (!tx)
    throw std::runtime_error("write_sample_campaign: " + describe(tx.error()));
  auto check = [](caf::error err) {
    if (err)
      throw std::runtime_error("write_sample_campaign: " + describe(err));
  };
  memory::campaign_record c;
  c.id = name;
  c.status = "stopped";
  c.config_text = "[campaign]\nname = \"" + name + "\"\n";
  check(memory::put_campaign(*tx, c));
  for (int t = 0; t < tasks; ++t) {
    memory::task_record r;
    r.campaign = name;
    r.task_id = "task" + std::to_string(t);
    r.backend = "cpu";
    r.phase = "refine";
    ids.tasks.push_back(r.task_id);
    for (int s = 0; s < per_task; ++s) {
      memory::candidate_record cand;
      const auto marker = candidate_marker(name, t, s);
      cand.hash = sha256_hex(marker);
      cand.campaign = name;
      cand.task_id = r.task_id;
      cand.seq = s;
      cand.stage = s == 0 ? "draft" : "refine";
      cand.source = "// " + marker + "\n" + std::string(260, 'k') + "\n";
      cand.verdict.feasible = true;
      cand.verdict.timing.median_ns = 1000.0 + s;
      cand.verdict.timing.count = 5;
      check(memory::put_candidate(*tx, cand));
      ids.candidates.push_back(cand.hash);
      r.best_hash = cand.hash;
      r.best_latency_ns = cand.verdict.timing.median_ns;
    }
    r.reference_latency_ns = 2000;
    r.evaluations = per_task;
    check(memory::put_task(*tx, r));
  }
  check(tx->commit());
  return ids;
}

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    throw std::runtime_error("cannot read " + file.string());
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

file_fingerprint fingerprint(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    throw std::runtime_error("cannot stat " + file.string());
  file_fingerprint f;
  f.size = static_cast<uintmax_t>(st.st_size);
  f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.sha256 = sha256_hex(read_bytes(file));
  return f;
}

std::size_t unique_offset(const std::filesystem::path& file, const std::string& needle) {
  const auto bytes = read_bytes(file);
  const auto at = bytes.find(needle);
  if (at == std::string::npos || bytes.find(needle, at + 1) != std::string::npos)
    throw std::runtime_error("'" + needle + "' is not in " + file.string() + " exactly once");
  return at;
}

void flip_bytes(const std::filesystem::path& file, std::size_t offset, std::size_t count) {
  auto bytes = read_bytes(file);
  if (offset + count > bytes.size())
    throw std::runtime_error("flip_bytes: past the end of " + file.string());
  for (std::size_t i = offset; i < offset + count; ++i)
    bytes[i] = static_cast<char>(static_cast<unsigned char>(bytes[i]) ^ 0xffU);
  std::ofstream out{file, std::ios::binary | std::ios::in | std::ios::out};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out)
    throw std::runtime_error("flip_bytes: cannot write " + file.string());
}

void copy_store(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::create_directories(to);
  std::filesystem::copy_file(from / "data.mdb", to / "data.mdb");
}

void write_foreign_lmdb(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  MDB_val key{5, const_cast<char*>("hello")};
  MDB_val value{5, const_cast<char*>("world")};
  if (mdb_env_create(&env) != 0 || mdb_env_open(env, dir.c_str(), 0, 0600) != 0 ||
      mdb_txn_begin(env, nullptr, 0, &txn) != 0 || mdb_dbi_open(txn, nullptr, 0, &dbi) != 0 ||
      mdb_put(txn, dbi, &key, &value, 0) != 0 || mdb_txn_commit(txn) != 0)
    throw std::runtime_error("write_foreign_lmdb: LMDB failed at " + dir.string());
  mdb_env_close(env);
}

}  // namespace kforge::test
