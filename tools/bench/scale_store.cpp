#include "tools/bench/scale_store.hpp"

#include "memory/store.hpp"
#include "runtime/base/error.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace kforge::bench {

// Appends `count` generated memory items to the kforge store at `dir` (one that a campaign
// made: its tasks name the items' families and source tasks), durably, 10,000 a transaction:
// the memory of a long campaign, for measuring a real campaign's start and resident size at it.
int fill_store(memory_shape shape, const std::filesystem::path& dir, size_t count, uint64_t seed) {
  memory::env_options opts;
  opts.map_size_bytes = std::max<size_t>(size_t{1} << 30U, count * 4096);  // room for the items
  auto opened = memory::store::open(dir, opts);
  if (!opened)
    throw std::runtime_error(describe(opened.error()));
  {
    auto tx = opened->read();
    if (!tx)
      throw std::runtime_error(describe(tx.error()));
    auto campaigns = memory::list_campaigns(*tx);
    if (!campaigns)
      throw std::runtime_error(describe(campaigns.error()));
    for (const auto& c : *campaigns) {
      auto tasks = memory::list_tasks(*tx, c.id);
      if (!tasks)
        throw std::runtime_error(describe(tasks.error()));
      for (const auto& t : *tasks)
        shape.real_tasks.emplace_back(t.task_id, t.family);
    }
  }
  if (shape.real_tasks.empty())
    throw std::runtime_error(dir.string() + ": the store has no tasks to fill memory for");
  shape.tasks = static_cast<int>(shape.real_tasks.size());
  std::mt19937_64 gen{seed};
  auto start = clock_type::now();
  // Ids past any the bench generates by default, so that a second fill adds new items.
  uint64_t first = seed << 40U;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (size_t i = 0; i < count;) {
    auto tx = opened->write();
    if (!tx)
      throw std::runtime_error(describe(tx.error()));
    for (int k = 0; k < 10000 && i < count; ++k, ++i) {
      auto m = shape.item(gen, first + i);
      m.created_ms = m.updated_ms = now_ms - static_cast<int64_t>(count - i);  // older than the campaign's
      if (auto err = memory::put_memory(*tx, m))
        throw std::runtime_error(describe(err));
    }
    if (auto err = tx->commit())
      throw std::runtime_error(describe(err));
  }
  std::cout << dir.string() << ": " << count << " memory items added for " << shape.real_tasks.size()
            << " tasks in " << fixed(ms_since(start) / 1000.0, 1) << " s\n";
  return 0;
}

// The durable group-commit rate of LMDB itself on this disk: records of `bytes` bytes (random
// keys, incompressible values), `group` a transaction, fdatasync'd per commit as kforge's store
// is, for `seconds` in a fresh store at `dir`. What a campaign's orchestration is held against.
int lmdb_rate(const std::filesystem::path& dir, size_t bytes, int group, double seconds) {
  std::filesystem::remove_all(dir);
  memory::env_options opts;
  opts.map_size_bytes = size_t{16} << 30U;  // virtual: 3 s of 10 KB records at 30k/s is ~1 GB
  auto opened = memory::store::open(dir, opts);
  if (!opened)
    throw std::runtime_error(describe(opened.error()));
  std::optional<memory::store> store{std::move(*opened)};
  std::mt19937_64 rng{1};
  std::string value(bytes, '\0');
  size_t records = 0;
  size_t commits = 0;
  auto start = clock_type::now();
  while (ms_since(start) < seconds * 1000.0) {
    auto tx = store->write();
    if (!tx)
      throw std::runtime_error(describe(tx.error()));
    for (int k = 0; k < group; ++k) {
      for (size_t at = 0; at + 8 <= value.size(); at += 8) {
        const uint64_t word = rng();
        std::memcpy(&value[at], &word, 8);
      }
      char key[24];
      std::snprintf(key, sizeof(key), "%016llx", static_cast<unsigned long long>(rng()));
      if (auto err = tx->put(memory::table::texts, key, value))
        throw std::runtime_error(describe(err));
    }
    if (auto err = tx->commit())
      throw std::runtime_error(describe(err));
    records += static_cast<size_t>(group);
    ++commits;
  }
  const double elapsed = ms_since(start) / 1000.0;
  std::cout << "lmdb durable group commit: " << bytes << " B records, " << group
            << " a transaction: " << fixed(static_cast<double>(records) / elapsed, 0) << " records/s ("
            << commits << " commits in " << fixed(elapsed, 2) << " s)\n";
  store.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace kforge::bench
