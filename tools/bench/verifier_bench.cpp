// Benchmark of the verifier pool on the CPU suite:
//   1. pipeline (parallel compiles, exclusive run stage) against a serial
//      compile-then-run baseline over the same candidates: evaluations/hour;
//   2. the run stage's busy share while compiles are queued;
//   3. the caches on a stream with a realistic duplicate rate;
//   4. the noise floor: one binary measured N times (20), the spread of its medians;
//   5. compiles beside timed runs: per-candidate medians of the pipeline with and without
//      quiet runs against the serial run's;
//   6. with --quickstart-store, a finished quickstart campaign replayed under the old rule (any
//      lower median is a new best) and the new one (beyond the noise), and each task's new
//      best re-measured against its reference in interleaved fresh runs.
// Prints a Markdown report on stdout. Usage: see --help.

#include "actors/llm_proxy/offline_policy.hpp"
#include "actors/system_config.hpp"
#include "actors/verifier/interleaved_measure.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "memory/store.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/scoring.hpp"
#include "runtime/campaign/backends.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <thread>

using namespace kforge;

namespace {

using clock_type = std::chrono::steady_clock;

struct candidate {
  std::string task_id;
  std::string source;
};

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

// Draft candidates across the suite: random knob settings of each task's template, in task order.
std::vector<candidate> make_candidates(const kforge::task_map& tasks, int count, uint64_t seed) {
  std::vector<candidate> out;
  actors::offline_policy policy{{}};
  uint64_t step = 0;
  while (static_cast<int>(out.size()) < count) {
    for (const auto& [id, task] : tasks) {
      actors::policy_request req;
      req.task_id = id;
      req.stage = "draft";
      req.k = 1;
      req.seed = seed + step++;
      for (auto& p : policy.propose(task, req))
        out.push_back({id, std::move(p.source)});
      if (static_cast<int>(out.size()) == count)
        break;
    }
  }
  return out;
}

// Replaces a share `rate` of the stream with repeats of earlier candidates.
std::vector<candidate> with_duplicates(std::vector<candidate> stream, double rate, uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::uniform_real_distribution<double> coin{0, 1};
  for (size_t i = 1; i < stream.size(); ++i) {
    if (coin(rng) >= rate)
      continue;
    std::uniform_int_distribution<size_t> earlier{0, i - 1};
    stream[i] = stream[earlier(rng)];
  }
  return stream;
}

struct pool_run {
  double seconds = 0;
  actors::verifier_stats stats;
  std::vector<kforge::verdict> verdicts;
};

// Runs `stream` through a fresh verifier pool; tasks are prepared first. With
// `one_by_one`, each candidate is sent after the previous verdict (no overlap,
// no coalescing); otherwise all are submitted at once. Verdicts are in stream order.
struct pool_options {
  bool verdict_cache = false;
  bool coalesce = false;
  int32_t compile_cache = 0;
  size_t wave = 0;  ///< candidates submitted together; 0 = all at once
  bool quiet_runs = false;
};

pool_run run_pool(const runtime::campaign_config& cfg, std::shared_ptr<const kforge::task_map> tasks,
                  const std::vector<candidate>& stream, int compile_jobs, pool_options opts) {
  auto backend = runtime::make_backend(cfg, cfg.verifier.work_dir);
  if (!backend)
    throw std::runtime_error(describe(backend.error()));
  actors::system_config sys_cfg{0};
  caf::actor_system sys{sys_cfg};
  actors::verifier_config vcfg;
  vcfg.compile_jobs = compile_jobs;
  vcfg.verdict_cache = opts.verdict_cache;
  vcfg.coalesce = opts.coalesce;
  vcfg.compile_cache_entries = opts.compile_cache;
  vcfg.max_queue = static_cast<int32_t>(stream.size()) + 1;
  vcfg.quiet_runs = opts.quiet_runs;
  vcfg.object_cache = false;  // every candidate timed: the figures compare timings
  vcfg.flag_speedup = 0;
  auto pool = actors::spawn_verifier(sys, *backend, tasks, vcfg);
  caf::scoped_actor self{sys};
  // Handlers must not throw inside CAF's receive: record the error and throw after it.
  caf::error failure;
  auto fail = [&](caf::error& err) { failure = std::move(err); };
  auto check = [&] {
    if (failure)
      throw std::runtime_error(describe(failure));
  };
  for (const auto& [id, task] : *tasks) {
    self->request(pool, caf::infinite, reference_atom_v, id).receive([](kforge::timing_stats&) {}, fail);
    check();
  }
  // The clock starts now: only candidates are measured, as in the serial run.
  actors::verifier_stats base;
  self->request(pool, caf::infinite, stats_atom_v)
      .receive([&](actors::verifier_stats& s) { base = s; }, fail);
  check();
  pool_run out;
  out.verdicts.resize(stream.size());
  auto started = clock_type::now();
  auto ask = [&](size_t i) {
    return self->request(
        pool, caf::infinite, verify_atom_v,
        actors::verify_request{stream[i].task_id, "bench-" + std::to_string(i), stream[i].source});
  };
  // Submit in waves of `wave` (0 = everything at once); a wave waits for the previous one,
  // as a campaign's next steps wait for their verdicts.
  auto wave = opts.wave == 0 ? stream.size() : opts.wave;
  for (size_t first = 0; first < stream.size(); first += wave) {
    auto last = std::min(stream.size(), first + wave);
    std::vector<decltype(ask(0))> handles;
    for (size_t i = first; i < last; ++i)
      handles.push_back(ask(i));
    for (size_t i = first; i < last; ++i) {
      handles[i - first].receive([&](actors::verification& v) { out.verdicts[i] = std::move(v.verdict); },
                                 fail);
      check();
    }
  }
  out.seconds = seconds_since(started);
  self->request(pool, caf::infinite, stats_atom_v)
      .receive([&](actors::verifier_stats& s) { out.stats = s; }, fail);
  check();
  out.stats.backlog_ms -= base.backlog_ms;
  out.stats.busy_in_backlog_ms -= base.busy_in_backlog_ms;
  out.stats.run_busy_ms -= base.run_busy_ms;
  self->send(pool, drain_atom_v);
  return out;
}

struct serial_run {
  double seconds = 0;
  std::vector<double> compile_ms;  ///< per candidate that passed the hack gate
  std::vector<double> run_ms;      ///< per candidate that compiled
  std::vector<double> medians;     ///< per stream position: the latency median, 0 if not timed
};

double median_of(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(xs.size() / 2), xs.end());
  return xs[xs.size() / 2];
}

double sum_of(const std::vector<double>& xs) {
  double s = 0;
  for (double x : xs)
    s += x;
  return s;
}

// The same candidates one at a time: hack check, compile, run, discard.
serial_run run_serial(const runtime::campaign_config& cfg, const kforge::task_map& tasks,
                      const std::vector<candidate>& stream) {
  auto backend = runtime::make_backend(cfg, cfg.verifier.work_dir);
  if (!backend)
    throw std::runtime_error(describe(backend.error()));
  for (const auto& [id, task] : tasks)
    if (auto t = (*backend)->prepare(task); !t)
      throw std::runtime_error(describe(t.error()));
  serial_run out;
  out.medians.assign(stream.size(), 0.0);
  auto started = clock_type::now();
  for (size_t i = 0; i < stream.size(); ++i) {
    const auto& task = tasks.at(stream[i].task_id);
    if (!(*backend)->hack_check(task, stream[i].source).passed)
      continue;
    auto t0 = clock_type::now();
    auto built = (*backend)->compile(task, stream[i].source, "serial-" + std::to_string(i));
    if (!built)
      throw std::runtime_error(describe(built.error()));
    out.compile_ms.push_back(seconds_since(t0) * 1000);
    if (built->ok) {
      auto t1 = clock_type::now();
      auto v = (*backend)->run(task, *built);
      if (!v)
        throw std::runtime_error(describe(v.error()));
      out.run_ms.push_back(seconds_since(t1) * 1000);
      if (v->is_timed())
        out.medians[i] = v->timing.median_ns;
    }
    (*backend)->discard(*built);
  }
  out.seconds = seconds_since(started);
  return out;
}

// The median over candidates timed in both of `pool` median / `serial` median.
double median_ratio(const std::vector<kforge::verdict>& pool, const std::vector<double>& serial) {
  std::vector<double> r;
  for (size_t i = 0; i < pool.size() && i < serial.size(); ++i)
    if (pool[i].is_timed() && serial[i] > 0)
      r.push_back(pool[i].timing.median_ns / serial[i]);
  return median_of(r);
}

// One task of a finished campaign replayed under a best rule.
struct replay {
  std::vector<std::string> improvements;  ///< hashes that became the best, in order
  const memory::candidate_record* best = nullptr;
};

replay replay_task(const std::vector<memory::candidate_record>& cands, bool beyond_noise, double noise) {
  replay out;
  for (const auto& c : cands) {
    if (!c.verdict.is_timed())
      continue;
    bool better =
        out.best == nullptr ||
        (beyond_noise ? kforge::beats_beyond_noise(c.verdict.timing, out.best->verdict.timing, noise)
                      : c.verdict.timing.median_ns < out.best->verdict.timing.median_ns);
    if (better) {
      out.best = &c;
      out.improvements.push_back(c.hash);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kforge verifier benchmark: pipeline vs serial, busy share, caches, stability"};
  std::string config_path = "configs/quickstart.toml";
  int count = 60;
  double duplicate_rate = 0.3;
  int repeats = 20;
  std::string quickstart_store;
  std::string campaign = "quickstart";
  int rounds = 3;
  std::string stable_task = "gemm_128x128x64";
  std::string work_dir = "/tmp/kforge-bench-verifier";
  uint64_t seed = 7;
  bool replay_only = false;
  app.add_option("--config", config_path, "campaign config whose tasks and [verifier] settings are used");
  app.add_option("--candidates", count, "candidates in the pipeline/serial comparison");
  app.add_option("--duplicates", duplicate_rate, "share of repeated candidates in the cache run");
  app.add_option("--repeats", repeats, "measurements of one binary in the noise-floor run");
  app.add_option("--quickstart-store", quickstart_store,
                 "store of a finished quickstart campaign to replay under the old and new best rules");
  app.add_option("--campaign", campaign, "the campaign in --quickstart-store");
  app.add_option("--rounds", rounds, "interleaved reference/best rounds of the final re-measurement");
  app.add_option("--stable-task", stable_task, "task whose kernel the stability run measures");
  app.add_option("--work-dir", work_dir, "build scratch");
  app.add_option("--seed", seed, "candidate sampling seed");
  app.add_flag("--replay-only", replay_only, "only the replay of --quickstart-store (sections 1-5 skipped)");
  CLI11_PARSE(app, argc, argv);
  log::set_level(log::level::error);

  auto cfg = runtime::load_campaign_config(config_path);
  if (!cfg) {
    std::cerr << describe(cfg.error()) << '\n';
    return 2;
  }
  cfg->verifier.work_dir = work_dir;
  auto list = hardware::load_tasks(cfg->file.parent_path(), cfg->tasks);
  if (!list) {
    std::cerr << describe(list.error()) << '\n';
    return 2;
  }
  auto tasks = std::make_shared<kforge::task_map>();
  for (auto& t : *list)
    tasks->emplace(t.id, t);
  auto jobs = cfg->verifier.compile_jobs;

  try {
    if (replay_only && quickstart_store.empty())
      throw std::runtime_error("--replay-only needs --quickstart-store");
    if (!replay_only) {
      auto stream = make_candidates(*tasks, count, seed);
      std::cout << "# Verifier benchmark\n\n"
                << count << " draft candidates over " << tasks->size() << " CPU tasks (" << config_path
                << " [verifier] settings), " << std::thread::hardware_concurrency() << " cores, " << jobs
                << " compile worker(s) + 1 run stage.\n\n";

      // The compile stage with and without its two speed-ups (precompiled header sets, gold), one
      // candidate at a time: the per-stage costs bound the run stage's busy share.
      auto plain_cfg = *cfg;
      plain_cfg.verifier.precompiled_headers.clear();
      plain_cfg.verifier.linker = "default";
      plain_cfg.verifier.work_dir = work_dir + "-plain";
      auto plain = run_serial(plain_cfg, *tasks, stream);
      auto serial = run_serial(*cfg, *tasks, stream);
      auto serial_s = serial.seconds;
      std::cout
          << "## Stage costs (serial, one candidate at a time)\n\n"
          << "| compile setup | compile ms (median) | compile s (all) | run ms (median) | run s (all) |\n"
          << "| --- | --- | --- | --- | --- |\n"
          << "| no precompiled headers, default linker | " << fixed(median_of(plain.compile_ms), 1) << " | "
          << fixed(sum_of(plain.compile_ms) / 1000, 2) << " | " << fixed(median_of(plain.run_ms), 1) << " | "
          << fixed(sum_of(plain.run_ms) / 1000, 2) << " |\n"
          << "| configured (`precompiled_headers`, `linker`) | " << fixed(median_of(serial.compile_ms), 1)
          << " | " << fixed(sum_of(serial.compile_ms) / 1000, 2) << " | "
          << fixed(median_of(serial.run_ms), 1) << " | " << fixed(sum_of(serial.run_ms) / 1000, 2)
          << " |\n\n";
      auto piped = run_pool(*cfg, tasks, stream, jobs, {});
      pool_options quiet_opts;
      quiet_opts.quiet_runs = true;
      auto quiet = run_pool(*cfg, tasks, stream, jobs, quiet_opts);
      double serial_rate = count / serial_s * 3600;
      double pipe_rate = count / piped.seconds * 3600;
      double busy =
          piped.stats.backlog_ms > 0 ? 100 * piped.stats.busy_in_backlog_ms / piped.stats.backlog_ms : 0;
      std::cout << "## Pipeline against serial\n\n"
                << "| run | wall s | evaluations/hour |\n| --- | --- | --- |\n"
                << "| serial compile-then-run | " << fixed(serial_s, 1) << " | " << fixed(serial_rate, 0)
                << " |\n"
                << "| pipeline | " << fixed(piped.seconds, 1) << " | " << fixed(pipe_rate, 0) << " |\n\n"
                << "pipeline/serial: **" << fixed(pipe_rate / serial_rate, 2)
                << "x**; run stage busy while work was "
                << "queued: **" << fixed(busy, 1) << " %** ("
                << fixed(piped.stats.busy_in_backlog_ms / 1000, 1) << " s of "
                << fixed(piped.stats.backlog_ms / 1000, 1) << " s).\n\n";
      std::cout
          << "## Compiles beside timed runs\n\n"
          << "Per-candidate latency medians of the pipeline over the serial run's (same candidates; "
             "median of the ratios; 1.00 = undisturbed).\n\n"
          << "| pipeline | wall s | evaluations/hour | median latency / serial |\n| --- | --- | --- | --- |\n"
          << "| compiles overlap runs (`quiet_runs = false`) | " << fixed(piped.seconds, 1) << " | "
          << fixed(pipe_rate, 0) << " | " << fixed(median_ratio(piped.verdicts, serial.medians), 3) << " |\n"
          << "| quiet runs (`quiet_runs = true`) | " << fixed(quiet.seconds, 1) << " | "
          << fixed(count / quiet.seconds * 3600, 0) << " | "
          << fixed(median_ratio(quiet.verdicts, serial.medians), 3) << " |\n\n";

      auto dup_stream = with_duplicates(stream, duplicate_rate, seed + 1);
      // Waves of as many candidates as there are tasks: one step of every task at a time.
      auto cold = run_pool(*cfg, tasks, dup_stream, jobs, {false, false, 0, tasks->size()});
      auto warm = run_pool(*cfg, tasks, dup_stream, jobs, {true, true, 16, tasks->size()});
      // Both runs judged the same candidates: the caches must not change a verdict.
      for (size_t i = 0; i < dup_stream.size(); ++i)
        // A suspect verdict is a timing judgement (two runs disagreed), not a cache's.
        if (cold.verdicts[i].failed_gate != warm.verdicts[i].failed_gate && !cold.verdicts[i].is_suspect() &&
            !warm.verdicts[i].is_suspect())
          throw std::runtime_error("a cached verdict differs from a fresh one at candidate " +
                                   std::to_string(i));
      std::cout
          << "## Caches at a " << fixed(duplicate_rate * 100, 0) << " % duplicate rate\n\n"
          << "| caches | wall s | evaluations/hour | cache hits | coalesced |\n| --- | --- | --- | --- | "
             "--- |\n"
          << "| off | " << fixed(cold.seconds, 1) << " | " << fixed(count / cold.seconds * 3600, 0) << " | "
          << cold.stats.cache_hits << " | " << cold.stats.coalesced << " |\n"
          << "| on | " << fixed(warm.seconds, 1) << " | " << fixed(count / warm.seconds * 3600, 0) << " | "
          << warm.stats.cache_hits << " | " << warm.stats.coalesced << " |\n\n"
          << "caches on/off: **" << fixed(cold.seconds / warm.seconds, 2) << "x** throughput.\n\n";

      // Stability: the fastest feasible kernel of one task among fresh drafts,
      // then measured `repeats` times in one pool, one after another (verdict
      // cache off, so every repeat is a full latency gate on the kept binary).
      std::string source;
      double best = 0;
      std::vector<candidate> mine;
      for (auto& c : make_candidates(*tasks, static_cast<int>(tasks->size()) * 8, seed + 100))
        if (c.task_id == stable_task)
          mine.push_back(std::move(c));
      if (mine.empty())
        throw std::runtime_error("no task named " + stable_task);
      auto judged = run_pool(*cfg, tasks, mine, jobs, {});
      for (size_t i = 0; i < mine.size(); ++i) {
        const auto& v = judged.verdicts[i];
        if (v.is_timed() && (best == 0 || v.timing.median_ns < best)) {
          best = v.timing.median_ns;
          source = mine[i].source;
        }
      }
      if (source.empty())
        throw std::runtime_error("no feasible kernel found for " + stable_task);
      std::vector<candidate> same(static_cast<size_t>(repeats), candidate{stable_task, source});
      // One at a time, verdict cache off: every repeat is a full latency gate; the binary is
      // built once (compile cache).
      auto repeated = run_pool(*cfg, tasks, same, jobs, {false, false, 16, 1});
      std::vector<double> medians;
      for (const auto& v : repeated.verdicts)
        medians.push_back(v.timing.median_ns);
      auto [lo, hi] = std::minmax_element(medians.begin(), medians.end());
      auto mid = median_of(medians);
      std::vector<double> dev;
      for (double m : medians)
        dev.push_back(std::abs(m - mid) / mid);
      std::sort(dev.begin(), dev.end());
      auto p90 = dev[std::min(dev.size() - 1, static_cast<size_t>(0.9 * static_cast<double>(dev.size())))];
      double floor = 2 * p90;  // an interval of -+ p90 around each of two medians
      std::cout
          << "## Noise floor\n\nThe fastest feasible kernel among " << mine.size() << " drafts of `"
          << stable_task << "`, the same binary measured " << repeats
          << " times in one pool, one at a time (each a full latency gate in a fresh process). Medians (us):";
      for (double m : medians)
        std::cout << ' ' << fixed(m / 1000, 2);
      std::cout << "\n\n| spread of medians | value |\n| --- | --- |\n"
                << "| (max - min) / min | " << fixed(100 * (*hi - *lo) / *lo, 2) << " % |\n"
                << "| 90th percentile of abs(median - median of medians) / median of medians | "
                << fixed(100 * p90, 2) << " % |\n"
                << "| noise floor (2 x that; compare `[verifier] noise_threshold` = "
                << fixed(100 * cfg->verifier.noise_threshold, 0) << " %) | **" << fixed(100 * floor, 2)
                << " %** |\n\n"
                << "compile-cache hits: " << repeated.stats.compile_cache_hits << "\n";
    }

    if (quickstart_store.empty()) {
      std::cout << "\n(no --quickstart-store: the replay of a quickstart campaign is skipped)\n";
      return 0;
    }
    auto store = memory::store::open(quickstart_store);
    if (!store)
      throw std::runtime_error(describe(store.error()));
    auto tx = store->read();
    if (!tx)
      throw std::runtime_error(describe(tx.error()));
    auto records = memory::list_tasks(*tx, campaign);
    if (!records)
      throw std::runtime_error(describe(records.error()));
    if (records->empty())
      throw std::runtime_error("campaign " + campaign + " has no tasks in " + quickstart_store);
    auto backend = runtime::make_backend(*cfg, work_dir + "-ab");
    if (!backend)
      throw std::runtime_error(describe(backend.error()));
    double noise = cfg->verifier.noise_threshold;
    size_t old_total = 0;
    size_t surviving = 0;
    std::vector<double> old_speedups;
    std::vector<double> new_speedups;
    std::vector<double> final_speedups;
    std::vector<double> recorded_speedups;  // the campaign's own final measurement, where it has one
    size_t recorded = 0;
    std::cout << "\n## Quickstart under the new rules\n\nCampaign `" << campaign << "` from "
              << quickstart_store
              << ", each task's candidates replayed in order under the old rule (any lower "
              << "median is a new best) and the new one (beats the best beyond the noise: non-overlapping "
              << "intervals of -+ max(CI, " << fixed(100 * noise / 2, 1)
              << " %)); the new best then re-measured "
              << "against the reference in " << rounds << " interleaved rounds of fresh runs.\n\n"
              << "| task | old improvements | surviving | old best | new best | new best re-measured | "
                 "campaign's final |\n"
              << "| --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& rec : *records) {
      auto cands = memory::list_candidates(*tx, campaign, rec.task_id);
      if (!cands)
        throw std::runtime_error(describe(cands.error()));
      auto old_rule = replay_task(*cands, false, noise);
      auto new_rule = replay_task(*cands, true, noise);
      // An old improvement survives when the new rule took it as a new best too.
      size_t kept = 0;
      for (const auto& h : old_rule.improvements)
        kept +=
            static_cast<size_t>(std::count(new_rule.improvements.begin(), new_rule.improvements.end(), h));
      old_total += old_rule.improvements.size();
      surviving += kept;
      auto figure = [&](const replay& r) {
        return r.best == nullptr
                   ? 0.0
                   : kforge::speedup(rec.reference_latency_ns, r.best->verdict.timing.median_ns);
      };
      old_speedups.push_back(figure(old_rule));
      new_speedups.push_back(figure(new_rule));
      double fin = 0;
      auto task = tasks->find(rec.task_id);
      if (new_rule.best != nullptr && task != tasks->end()) {
        // The backend builds and runs only what it has prepared (inputs, reference timing).
        if (auto prepared = (*backend)->prepare(task->second); !prepared)
          throw std::runtime_error(describe(prepared.error()));
        auto ab = actors::measure_interleaved(**backend, task->second, new_rule.best->source, rounds,
                                              "ab-" + rec.task_id);
        if (!ab)
          throw std::runtime_error(rec.task_id + ": " + describe(ab.error()));
        if (ab->candidate_ns > 0)
          fin = kforge::speedup(ab->reference_ns, ab->candidate_ns);
        else
          std::cerr << rec.task_id << ": the best failed its re-measurement: " << ab->detail << '\n';
      }
      final_speedups.push_back(fin);
      // The figure the campaign itself recorded when the task ended (task_record::final_*).
      double own = rec.final_hash == rec.best_hash && !rec.best_hash.empty()
                       ? kforge::speedup(rec.final_reference_ns, rec.final_latency_ns)
                       : 0;
      recorded += own > 0 ? 1 : 0;
      recorded_speedups.push_back(own > 0 ? own : figure(new_rule));
      std::cout << "| " << rec.task_id << " | " << old_rule.improvements.size() << " | " << kept << " | "
                << fixed(old_speedups.back(), 2) << "x | " << fixed(new_speedups.back(), 2) << "x | "
                << (fin > 0 ? fixed(fin, 2) + "x" : std::string{"-"}) << " | "
                << (own > 0 ? fixed(own, 2) + "x" : std::string{"-"}) << " |\n";
    }
    auto g_old = kforge::geomean_speedups(old_speedups);
    auto g_new = kforge::geomean_speedups(new_speedups);
    auto g_fin = kforge::geomean_speedups(final_speedups);
    std::cout << "\nimprovements surviving the new rule: **" << surviving << " of " << old_total << " ("
              << fixed(old_total > 0 ? 100.0 * static_cast<double>(surviving) / static_cast<double>(old_total)
                                     : 0,
                       1)
              << " %)**\n\n| geomean speedup over the references | value |\n| --- | --- |\n"
              << "| old rule (any lower median is a new best) | " << fixed(g_old.over_all, 2) << "x |\n"
              << "| new rule, the campaign's own figures | " << fixed(g_new.over_all, 2) << "x |\n"
              << "| new rule, best re-measured against the reference (interleaved) | **"
              << fixed(g_fin.over_all, 2) << "x** |\n"
              << "| the campaign's final figures (its own re-measurement at each task's end; " << recorded
              << " of " << records->size() << " tasks, the others their campaign figure) | "
              << fixed(kforge::geomean_speedups(recorded_speedups).over_all, 2) << "x |\n";
  } catch (const std::exception& e) {
    std::cerr << "bench failed: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
