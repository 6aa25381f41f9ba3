// Scale benchmark of memory: retrieval and consolidation as the memory grows.
//   1. retrieval after a commit: each sample commits a batch of changed items (new items and
//      newer copies of old ones) and then answers one context query, through the retriever's
//      bucketed index (now), the index before the buckets (scale_scan_index.hpp: a query scans
//      its family) and the retriever as it was (scale_before.hpp: a copy of the whole pool after
//      every commit, a full sort of every matching item; --before false skips it), interleaved
//      per repeat; p50 / p99 of the query (wall clock, and thread CPU time for now), p50 / p99
//      of the commit's index update; items and techniques compared, kb picks checked; the RSS
//      the index alone takes and the time to build it item by item;
//   2. a consolidation pass every `every` experiences: now the curator's insight index (learn
//      the batch, rebuild what changed); before, decode every item from the store and scan it
//      (scale_before_consolidation.hpp). The store is a real LMDB store in --store-dir.
// Figures are medians over repeats with [min-max]. Prints Markdown. Usage: see --help.

#include "actors/curator/insight_index.hpp"
#include "actors/retriever/memory_index.hpp"
#include "memory/store.hpp"
#include "runtime/base/log.hpp"
#include "tools/bench/scale_before.hpp"
#include "tools/bench/scale_before_consolidation.hpp"
#include "tools/bench/scale_memory_shape.hpp"
#include "tools/bench/scale_scan_index.hpp"
#include "tools/bench/scale_store.hpp"

#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

using namespace kforge;
using kforge::bench::clock_type;
using kforge::bench::fixed;
using kforge::bench::memory_shape;
using kforge::bench::ms_since;

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

// "median [min-max]" of per-repeat figures.
std::string spread(std::vector<double> v, int digits) {
  if (v.empty())
    return "-";
  std::sort(v.begin(), v.end());
  return fixed(v[v.size() / 2], digits) + " [" + fixed(v.front(), digits) + "-" + fixed(v.back(), digits) +
         "]";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

long rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6)) / 1024;
  return -1;
}

std::string machine() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

// A commit's changed items: new ones and newer copies (new values) of stored ones.
std::vector<memory::memory_item> commit_batch(const memory_shape& shape, std::mt19937_64& rng,
                                              const std::vector<memory::memory_item>& base, uint64_t& next,
                                              int count) {
  std::vector<memory::memory_item> out;
  for (int i = 0; i < count; ++i) {
    if (i % 3 == 0 || base.empty()) {
      out.push_back(shape.item(rng, next++));
    } else {
      auto m = base[rng() % base.size()];
      m.q2 += 0.01;
      m.visits2 += 1;
      out.push_back(std::move(m));
    }
  }
  return out;
}

std::vector<std::string> ids(const std::vector<memory::memory_item>& items) {
  std::vector<std::string> out;
  for (const auto& i : items)
    out.push_back(i.id);
  return out;
}

struct latency_row {
  std::vector<double> p50_before, p99_before, p50_scan, p99_scan, p50_after, p99_after, update_p50,
      update_p99;
  // The same, in this thread's CPU time: what the code costs without the time other processes
  // of a loaded machine take the core away (wall-clock p99 on 2 shared cores is mostly that).
  std::vector<double> cpu_p99_after, cpu_update_p99;
  int compared_before = 0;
  int differed_before = 0;
  int compared_scan = 0;
  int differed_scan = 0;
  int kb_invalid = 0;
  int before_samples = 0;
  long rss_after_mb = 0;
  double index_mb = 0;  // RSS grown by building the index alone
  double build_s = 0;   // building it item by item
};

// The RSS now, in MiB, after giving freed heap back to the system.
double trimmed_rss_mb() {
  malloc_trim(0);
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return static_cast<double>(std::stol(line.substr(6))) / 1024.0;
  return -1;
}

// The index's kb picks are drawn with choose_kb's distribution, not its picks for a seed: a
// reply is valid if it has as many picks as the exact one, distinct, each an entry choose_kb
// may draw for the query.
bool kb_valid(const actors::context_reply& exact, const actors::context_reply& got,
              const actors::context_query& q) {
  if (exact.kb.size() != got.kb.size())
    return false;
  auto picked = ids(got.kb);
  std::sort(picked.begin(), picked.end());
  if (std::adjacent_find(picked.begin(), picked.end()) != picked.end())
    return false;
  for (const auto& m : got.kb)
    if (m.retired || m.kind != "optimization" || m.family != q.family || m.samples <= 0 ||
        memory::is_in_words(m) != (q.policy == "openai"))
      return false;
  return true;
}

bool same_items(const actors::context_reply& a, const actors::context_reply& b) {
  return ids(a.items) == ids(b.items) && ids(a.techniques) == ids(b.techniques);
}

latency_row bench_retrieval(const memory_shape& shape, size_t size, int queries, int before_queries,
                            int repeats, int commit_items, uint64_t seed, int compare_before) {
  latency_row row;
  std::mt19937_64 gen{seed};
  std::vector<memory::memory_item> base;
  base.reserve(size);
  for (uint64_t i = 0; i < size; ++i)
    base.push_back(shape.item(gen, i));
  actors::ranking_config cfg;
  {  // the index alone: RSS before and after building it item by item
    double rss0 = trimmed_rss_mb();
    auto t = clock_type::now();
    actors::memory_index index{cfg};
    for (const auto& item : base)
      index.put(item);
    row.build_s = ms_since(t) / 1000.0;
    row.index_mb = trimmed_rss_mb() - rss0;
  }
  for (int r = 0; r < repeats; ++r) {
    uint64_t next = size + static_cast<uint64_t>(r) * uint64_t{1000000};
    if (before_queries > 0) {  // before: the retriever as it was
      bench::before::retriever old;
      old.cfg = cfg;
      old.update(base);
      std::mt19937_64 rng{seed + 100 + static_cast<uint64_t>(r)};
      std::vector<double> lat;
      for (int i = 0; i < before_queries; ++i) {
        old.update(commit_batch(shape, rng, base, next, commit_items));
        auto q = shape.query(rng);
        auto t = clock_type::now();
        auto reply = old.query(q);
        lat.push_back(ms_since(t));
      }
      row.p50_before.push_back(percentile(lat, 0.5));
      row.p99_before.push_back(percentile(lat, 0.99));
      row.before_samples = before_queries;
    }
    {  // scan: the memory index before the buckets
      bench::scan::scan_index index{base};
      std::mt19937_64 rng{seed + 100 + static_cast<uint64_t>(r)};
      std::vector<double> lat;
      for (int i = 0; i < queries; ++i) {
        index.update(commit_batch(shape, rng, base, next, commit_items));
        auto q = shape.query(rng);
        auto t = clock_type::now();
        auto reply = index.query(q, cfg);
        lat.push_back(ms_since(t));
      }
      row.p50_scan.push_back(percentile(lat, 0.5));
      row.p99_scan.push_back(percentile(lat, 0.99));
    }
    {  // now: the bucketed memory index
      actors::memory_index index{base, cfg};
      std::mt19937_64 rng{seed + 100 + static_cast<uint64_t>(r)};
      std::vector<double> lat;
      std::vector<double> upd;
      std::vector<double> cpu_lat;
      std::vector<double> cpu_upd;
      for (int i = 0; i < queries; ++i) {
        auto batch = commit_batch(shape, rng, base, next, commit_items);
        auto c0 = thread_cpu_ms();
        auto t0 = clock_type::now();
        index.update(std::move(batch));
        upd.push_back(ms_since(t0));
        cpu_upd.push_back(thread_cpu_ms() - c0);
        auto q = shape.query(rng);
        auto c = thread_cpu_ms();
        auto t = clock_type::now();
        auto reply = index.query(q, cfg);
        lat.push_back(ms_since(t));
        cpu_lat.push_back(thread_cpu_ms() - c);
      }
      row.cpu_p99_after.push_back(percentile(cpu_lat, 0.99));
      row.cpu_update_p99.push_back(percentile(cpu_upd, 0.99));
      row.p50_after.push_back(percentile(lat, 0.5));
      row.p99_after.push_back(percentile(lat, 0.99));
      row.update_p50.push_back(percentile(upd, 0.5));
      row.update_p99.push_back(percentile(upd, 0.99));
      row.rss_after_mb = std::max(row.rss_after_mb, rss_mb());
    }
  }
  // The same commits and queries through all three: items and techniques must be identical.
  std::optional<bench::before::retriever> old;
  if (compare_before > 0) {
    old.emplace();
    old->cfg = cfg;
    old->update(base);
  }
  bench::scan::scan_index scan{base};
  actors::memory_index index{base, cfg};
  std::mt19937_64 rng{seed + 999};
  uint64_t next = size + uint64_t{900000000};
  for (int i = 0; i < 20; ++i) {
    auto batch = commit_batch(shape, rng, base, next, commit_items);
    if (old)
      old->update(batch);
    scan.update(batch);
    index.update(batch);
    auto q = shape.query(rng);
    auto b = index.query(q, cfg);
    auto s = scan.query(q, cfg);
    row.compared_scan += 1;
    row.differed_scan += same_items(s, b) ? 0 : 1;
    row.kb_invalid += kb_valid(s, b, q) ? 0 : 1;
    if (old && i < compare_before) {
      row.compared_before += 1;
      row.differed_before += same_items(old->query(q), b) ? 0 : 1;
    }
  }
  return row;
}

struct consolidation_row {
  std::vector<double> before_ms, after_ms;
  double load_s = 0;  // building the insight index from the store, once per process
  size_t evidence_items = 0;
  double index_mb = 0;  // RSS the insight index holds once loaded (the items decoded for it freed)
};

consolidation_row bench_consolidation(const memory_shape& shape, size_t size, int passes, int before_passes,
                                      int repeats, int commit_items, uint64_t seed,
                                      const std::filesystem::path& dir) {
  consolidation_row row;
  std::filesystem::remove_all(dir);
  memory::env_options opts;
  opts.map_size_bytes = std::max<size_t>(size_t{1} << 30U, size * 4096);
  opts.no_sync = true;  // setup only: the passes measured here read, and both write the same
  auto opened = memory::store::open(dir, opts);
  if (!opened)
    throw std::runtime_error(describe(opened.error()));
  std::optional<memory::store> store{std::move(*opened)};
  std::mt19937_64 gen{seed};
  std::vector<memory::memory_item> base;
  for (uint64_t i = 0; i < size;) {
    auto tx = store->write();
    if (!tx)
      throw std::runtime_error(describe(tx.error()));
    for (int k = 0; k < 10000 && i < size; ++k, ++i) {
      auto m = shape.item(gen, i);
      if (auto err = memory::put_memory(*tx, m))
        throw std::runtime_error(describe(err));
      if (i % 97 == 0)
        base.push_back(std::move(m));
    }
    if (auto err = tx->commit())
      throw std::runtime_error(describe(err));
  }
  actors::consolidation_config cfg;
  double rss0 = trimmed_rss_mb();
  auto t_load = clock_type::now();
  actors::insight_index index{cfg};
  {
    auto tx = store->read();
    auto items = memory::list_memory(*tx);
    for (const auto& item : *items)
      index.update(item);
  }
  (void)index.changes(0);
  index.clear_changes();
  row.load_s = ms_since(t_load) / 1000.0;
  store->release_resident();  // the list's map pages: only the index's heap counts
  row.index_mb = trimmed_rss_mb() - rss0;
  row.evidence_items = index.evidence_items();
  uint64_t next = size;
  std::mt19937_64 rng{seed + 7};
  for (int r = 0; r < repeats; ++r) {
    // before: every item decoded from the store, every payload parsed, every rule rebuilt
    for (int p = 0; p < before_passes; ++p) {
      auto t = clock_type::now();
      auto tx = store->read();
      auto items = memory::list_memory(*tx);
      auto result = bench::before::consolidate(*items, cfg, 1);
      row.before_ms.push_back(ms_since(t));
      if (result.insights.empty())
        throw std::runtime_error("the old consolidation found no insight: the bench memory is not realistic");
    }
    // now: the commits' items learned as they commit, then a pass over what changed
    for (int p = 0; p < passes; ++p) {
      auto batch = commit_batch(shape, rng, base, next, commit_items);
      auto t = clock_type::now();
      for (const auto& item : batch)
        index.update(item);
      auto result = index.changes(1);
      index.clear_changes();
      row.after_ms.push_back(ms_since(t));
    }
  }
  store.reset();
  std::filesystem::remove_all(dir);
  return row;
}

std::vector<size_t> parse_sizes(const std::string& text) {
  std::vector<size_t> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ','))
    out.push_back(static_cast<size_t>(std::stoull(part)));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kforge scale benchmark: retrieval and consolidation as memory grows, before and after"};
  std::string sizes_text = "10000,100000,1000000";
  int queries = 400;
  int repeats = 3;
  int commit_items = 52;  // 40 experiences x ~1.3 items
  double before_budget_s = 20;
  int passes = 50;
  int before_passes = 2;
  bool consolidation = true;
  bool before = true;
  std::string store_dir = "/tmp/kforge-bench-scale";
  uint64_t seed = 7;
  std::string fill_dir;
  size_t fill_items = 1000000;
  app.add_option("--fill-store", fill_dir,
                 "instead of measuring: add --fill-items generated memory items to this campaign's store");
  app.add_option("--fill-items", fill_items, "items --fill-store adds");
  std::string rate_dir;
  size_t rate_bytes = 256;
  int rate_group = 42;
  double rate_seconds = 3;
  app.add_option("--lmdb-rate", rate_dir,
                 "instead of measuring memory: the durable LMDB group-commit rate in this scratch directory");
  app.add_option("--record-bytes", rate_bytes, "--lmdb-rate: bytes a record");
  app.add_option("--group", rate_group, "--lmdb-rate: records a transaction");
  app.add_option("--seconds", rate_seconds, "--lmdb-rate: how long to write");
  app.add_option("--sizes", sizes_text, "memory sizes (items), comma-separated");
  app.add_option("--queries", queries, "commit+query samples per repeat (now)");
  app.add_option("--repeats", repeats, "repeats per size; figures are the median [min-max] of them");
  app.add_option("--commit-items", commit_items, "changed items per commit");
  app.add_option("--before-budget", before_budget_s,
                 "seconds per repeat for the old retriever (it takes seconds per sample at 1M)");
  app.add_option("--before", before, "also run the old retriever (seconds per sample at 1M)");
  app.add_option("--passes", passes, "consolidation passes per repeat (now)");
  app.add_option("--before-passes", before_passes,
                 "consolidation passes per repeat (before: seconds each at 1M)");
  app.add_option("--consolidation", consolidation, "also measure consolidation passes (LMDB store)");
  app.add_option("--store-dir", store_dir, "scratch LMDB store for the consolidation part");
  app.add_option("--seed", seed, "memory and query seed");
  CLI11_PARSE(app, argc, argv);
  log::set_level(log::level::error);
  auto sizes = parse_sizes(sizes_text);
  memory_shape shape;
  if (!rate_dir.empty()) {
    try {
      return bench::lmdb_rate(rate_dir, rate_bytes, std::max(1, rate_group), rate_seconds);
    } catch (const std::exception& e) {
      std::cerr << "lmdb rate failed: " << e.what() << '\n';
      return 1;
    }
  }
  if (!fill_dir.empty()) {
    try {
      return bench::fill_store(shape, fill_dir, fill_items, seed);
    } catch (const std::exception& e) {
      std::cerr << "fill failed: " << e.what() << '\n';
      return 1;
    }
  }

  try {
    std::cout << "# Scale benchmark: memory\n\nMachine: " << machine() << ", "
              << std::thread::hardware_concurrency() << " threads. Memory of " << shape.tasks
              << " tasks over " << shape.families.size() << " families; " << commit_items
              << " changed items per commit; " << repeats << " repeats, figures median [min-max].\n\n";
    std::cout
        << "## Retrieval after a commit (ms)\n\n"
        << "before: the retriever of 8699151; scan: the memory index of bdef334 (a query scans its "
           "family); now: the bucketed index.\n\n"
        << "| items | before p50 | before p99 | scan p50 | scan p99 | now p50 | now p99 | p99 scan/now | "
           "index update p50 | index update p99 | now p99 CPU | index update p99 CPU | "
           "items identical (before, scan) | kb valid | index MB | index build s | RSS MB |\n"
        << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (auto size : sizes) {
      // Size the old retriever's sample count to the budget from one timed query.
      int before_queries = queries;
      {
        bench::before::retriever probe;
        std::mt19937_64 gen{seed};
        std::vector<memory::memory_item> few;
        for (uint64_t i = 0; i < std::min<size_t>(size, 20000); ++i)
          few.push_back(shape.item(gen, i));
        probe.update(few);
        std::mt19937_64 rng{seed};
        auto t = clock_type::now();
        for (int i = 0; i < 3; ++i) {
          probe.update({shape.item(rng, size + static_cast<uint64_t>(i))});
          (void)probe.query(shape.query(rng));
        }
        double per = ms_since(t) / 3.0 * static_cast<double>(size) / static_cast<double>(few.size());
        before_queries =
            std::clamp(static_cast<int>(before_budget_s * 1000.0 / std::max(per, 1e-3)), 10, queries);
      }
      if (!before)
        before_queries = 0;
      auto row = bench_retrieval(shape, size, queries, before_queries, repeats, commit_items, seed,
                                 !before          ? 0
                                 : size <= 100000 ? 20
                                                  : 3);
      auto frac = [](int compared, int differed) {
        return std::to_string(compared - differed) + "/" + std::to_string(compared);
      };
      std::cout << "| " << size << " | " << spread(row.p50_before, 2) << " | " << spread(row.p99_before, 2)
                << " | " << spread(row.p50_scan, 3) << " | " << spread(row.p99_scan, 3) << " | "
                << spread(row.p50_after, 4) << " | " << spread(row.p99_after, 4) << " | "
                << fixed(median(row.p99_scan) / std::max(1e-9, median(row.p99_after)), 0) << "x | "
                << spread(row.update_p50, 3) << " | " << spread(row.update_p99, 3) << " | "
                << spread(row.cpu_p99_after, 4) << " | " << spread(row.cpu_update_p99, 3) << " | "
                << frac(row.compared_before, row.differed_before) << ", "
                << frac(row.compared_scan, row.differed_scan) << " | "
                << frac(row.compared_scan, row.kb_invalid) << " | " << fixed(row.index_mb, 0) << " | "
                << fixed(row.build_s, 2) << " | " << row.rss_after_mb << " |\n";
      std::cerr << "retrieval " << size << " done (" << row.before_samples << " old samples per repeat)\n";
    }
    if (consolidation) {
      std::cout << "\n## Consolidation pass every 40 experiences (ms)\n\n"
                << "| items | before (decode + scan all) | now (learn the commit + rebuild what changed) | "
                   "ratio | index load at start (s) | items with evidence | index MB |\n"
                << "|---|---|---|---|---|---|---|\n";
      for (auto size : sizes) {
        auto row =
            bench_consolidation(shape, size, passes, before_passes, repeats, commit_items, seed, store_dir);
        std::cout << "| " << size << " | " << spread(row.before_ms, 1) << " | " << spread(row.after_ms, 3)
                  << " | " << fixed(median(row.before_ms) / std::max(1e-9, median(row.after_ms)), 0) << "x | "
                  << fixed(row.load_s, 2) << " | " << row.evidence_items << " | " << fixed(row.index_mb, 0)
                  << " |\n";
        std::cerr << "consolidation " << size << " done\n";
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "bench failed: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
