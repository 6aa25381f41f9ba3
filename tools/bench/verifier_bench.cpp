// Benchmark of the verifier pool on the CPU suite:
//   1. pipeline (parallel compiles, exclusive run stage) against a serial
//      compile-then-run baseline over the same candidates: evaluations/hour;
//   2. the run stage's busy share while compiles are queued;
//   3. the caches on a stream with a realistic duplicate rate;
//   4. stability: one kernel measured N times, median to median.
// Prints a Markdown report on stdout. Usage: see --help.

#include "actors/llm_proxy/offline_policy.hpp"
#include "actors/system_config.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/log.hpp"
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
    }
    (*backend)->discard(*built);
  }
  out.seconds = seconds_since(started);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kforge verifier benchmark: pipeline vs serial, busy share, caches, stability"};
  std::string config_path = "configs/quickstart.toml";
  int count = 60;
  double duplicate_rate = 0.3;
  int repeats = 10;
  std::string stable_task = "gemm_128x128x64";
  std::string work_dir = "/tmp/kforge-bench-verifier";
  uint64_t seed = 7;
  app.add_option("--config", config_path, "campaign config whose tasks and [verifier] settings are used");
  app.add_option("--candidates", count, "candidates in the pipeline/serial comparison");
  app.add_option("--duplicates", duplicate_rate, "share of repeated candidates in the cache run");
  app.add_option("--repeats", repeats, "measurements of one kernel in the stability run");
  app.add_option("--stable-task", stable_task, "task whose kernel the stability run measures");
  app.add_option("--work-dir", work_dir, "build scratch");
  app.add_option("--seed", seed, "candidate sampling seed");
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
    std::cout << "## Stage costs (serial, one candidate at a time)\n\n"
              << "| compile setup | compile ms (median) | compile s (all) | run ms (median) | run s (all) |\n"
              << "| --- | --- | --- | --- | --- |\n"
              << "| no precompiled headers, default linker | " << fixed(median_of(plain.compile_ms), 1)
              << " | " << fixed(sum_of(plain.compile_ms) / 1000, 2) << " | "
              << fixed(median_of(plain.run_ms), 1) << " | " << fixed(sum_of(plain.run_ms) / 1000, 2) << " |\n"
              << "| configured (`precompiled_headers`, `linker`) | " << fixed(median_of(serial.compile_ms), 1)
              << " | " << fixed(sum_of(serial.compile_ms) / 1000, 2) << " | "
              << fixed(median_of(serial.run_ms), 1) << " | " << fixed(sum_of(serial.run_ms) / 1000, 2)
              << " |\n\n";
    auto piped = run_pool(*cfg, tasks, stream, jobs, {});
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
              << "queued: **" << fixed(busy, 1) << " %** (" << fixed(piped.stats.busy_in_backlog_ms / 1000, 1)
              << " s of " << fixed(piped.stats.backlog_ms / 1000, 1) << " s).\n\n";

    auto dup_stream = with_duplicates(stream, duplicate_rate, seed + 1);
    // Waves of as many candidates as there are tasks: one step of every task at a time.
    auto cold = run_pool(*cfg, tasks, dup_stream, jobs, {false, false, 0, tasks->size()});
    auto warm = run_pool(*cfg, tasks, dup_stream, jobs, {true, true, 16, tasks->size()});
    // Both runs judged the same candidates: the caches must not change a verdict.
    for (size_t i = 0; i < dup_stream.size(); ++i)
      if (cold.verdicts[i].failed_gate != warm.verdicts[i].failed_gate)
        throw std::runtime_error("a cached verdict differs from a fresh one at candidate " +
                                 std::to_string(i));
    std::cout << "## Caches at a " << fixed(duplicate_rate * 100, 0) << " % duplicate rate\n\n"
              << "| caches | wall s | evaluations/hour | cache hits | coalesced |\n| --- | --- | --- | --- | "
                 "--- |\n"
              << "| off | " << fixed(cold.seconds, 1) << " | " << fixed(count / cold.seconds * 3600, 0)
              << " | " << cold.stats.cache_hits << " | " << cold.stats.coalesced << " |\n"
              << "| on | " << fixed(warm.seconds, 1) << " | " << fixed(count / warm.seconds * 3600, 0)
              << " | " << warm.stats.cache_hits << " | " << warm.stats.coalesced << " |\n\n"
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
    std::cout << "## Stability\n\nThe fastest feasible kernel among " << mine.size() << " drafts of `"
              << stable_task << "`, measured " << repeats
              << " times in one pool (each a full latency gate; compiled once). Medians (us):";
    for (double m : medians)
      std::cout << ' ' << fixed(m / 1000, 2);
    std::cout << "\n\nspread (max - min) / min: **" << fixed(100 * (*hi - *lo) / *lo, 2)
              << " %**; compile-cache hits: " << repeated.stats.compile_cache_hits << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench failed: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
