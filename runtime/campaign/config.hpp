#pragma once

// The campaign config: one TOML file (docs in README, "Campaign config").
// Relative paths in it are relative to the directory of the config file.

#include "actors/llm_proxy/llm_settings.hpp"
#include "hardware/host/machine_peaks.hpp"
#include "runtime/base/error.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kforge::runtime {

/// The [verifier] table: how candidates are compiled, run and timed.
struct verifier_settings {
  std::string device = "cpu";
  int32_t compile_jobs = 0;  ///< 0 = one per core (compiles run niced beside the pinned timing run)
  std::string cxx = "g++";
  std::vector<std::string> cxx_flags = {"-O3", "-march=native"};
  /// Linker for kernels: "gold", "bfd", "lld", "mold" (passed as -fuse-ld=) or "default". gold links a
  /// kernel in ~10 ms against ~40 ms for bfd (docs/bench-verifier.md); a missing one falls back to default.
  std::string linker = "gold";
  /// Header sets precompiled once per compiler and flags; a candidate that includes one of their headers
  /// is compiled with the smallest set that covers them. [] = off.
  std::vector<std::vector<std::string>> precompiled_headers = {{"cmath", "algorithm"},
                                                               {"cmath", "algorithm", "immintrin.h"}};
  int32_t seeds = 8;
  int32_t warmup = 3;
  int32_t min_runs = 10;
  int32_t max_runs = 100;
  double target_ms = 200;
  int32_t flush_kib = 4096;  ///< non-x86 fallback: bytes written between timed calls; 0 with cold_cache off
  /// Evict the kernel's inputs and outputs from the caches before each timed call. Off by default on
  /// the CPU: measured on a 2-vCPU VM, cold (DRAM-bound) medians of one kernel varied 20 % between
  /// runs, warm ones 2 % (docs/bench-verifier.md).
  bool cold_cache = false;
  /// Gate 1 judges C++ candidates again with their macros expanded (one sandboxed g++ -E, ~80 ms).
  bool gate_preprocess = true;
  double compile_timeout_s = 60;
  double run_timeout_s = 20;
  int64_t run_memory_mib = 2048;
  int64_t compile_memory_mib = 4096;
  std::string work_dir;       ///< scratch for builds; empty = <store>/work
  double flag_speedup = 10;   ///< speedups above this are marked for review
  int32_t max_queue = 256;    ///< verifications waiting before task actors are told to back off
  bool verdict_cache = true;  ///< answer a duplicate candidate from its earlier verdict (store-backed)
  int32_t compile_cache_entries = 16;  ///< built binaries kept for re-runs
  double ci_width = 0.02;         ///< timing stops once the median's 95 % CI half-width is below this share
  double noise_threshold = 0.10;  ///< two measurements of one kernel further apart than this disagree
  bool pin_timing = true;         ///< pin timing runs to one core, leased machine-wide (at least 2 cores)
  /// The cores timing may lease, in order of preference; empty = the allowed cores from the last
  /// down (hardware::default_timing_cores). Two kforge processes never share one while another is free.
  std::vector<int> timing_cores;
  /// Compiles and timed runs never overlap (a compile beside a timed run slowed it ~2.5x on a
  /// 2-vCPU VM, docs/bench-verifier.md). On by default for device "cpu", off elsewhere.
  bool quiet_runs = true;
  /// "reject": a KernelBench ModelNew that launches no kernel of its own gets the `bypass` verdict;
  /// "allow": it is judged like any other candidate.
  std::string bypass = "reject";
  /// A candidate whose built machine code equals an earlier one's takes that verdict untimed.
  bool object_cache = true;
  /// A C++ source is compiled once into an object kept in the work directory and every task links it
  /// (a family's reference, a knob setting several tasks draw): one compile, then a link per task.
  bool shared_objects = true;
  /// When a task ends, its best and its reference run alternately in fresh processes this many
  /// rounds and the figure is recorded beside the campaign's (0 = no final re-measurement).
  int32_t final_rounds = 3;
  /// Prepared references (outputs, timing) are cached in the store per build signature, device
  /// and task, and restored on restart or by another campaign while the task's definition holds.
  bool reference_cache = true;
  /// Prepared references' inputs and outputs kept in memory, MiB; the rest wait in files of the work
  /// directory and are read back when a candidate of their task runs.
  int64_t reference_memory_mib = 256;
  int32_t reference_attempts = 3;  ///< tries of a reference preparation that fails transiently
  double reference_backoff_s = 2;  ///< wait before the first retry, doubled before each further one
};

/// The [cuda] table: the CUDA toolchain of devices "cuda" and "cuda:N".
struct cuda_settings {
  std::string nvcc;  ///< empty: found at run time (CUDA_HOME, /usr/local/cuda, PATH)
  std::vector<std::string> nvcc_flags = {"-O3"};  ///< for kernels and references (the arch flag is added)
  std::string arch;                               ///< "sm_90"; empty: the GPU's own, sm_90 without a GPU
  bool profile = false;  ///< run Nsight Compute on each task's best kernel at the end
  std::string ncu;       ///< empty: found at run time
};

/// The [kernelbench] table: how KernelBench problems are run (device "cuda" or "cuda:N").
struct kernelbench_settings {
  std::string python = "python3";  ///< a path, or a name looked up on PATH (the interpreter with torch)
  int32_t trials = 5;              ///< correctness trials with fresh inputs
  int32_t warmup = 3;
  int32_t runs = 100;  ///< timed runs
  int64_t seed = 42;
  int32_t flush_mib = 256;          ///< written before every timed run (cold L2)
  int32_t keep_on_gpu_mib = 24576;  ///< reference outputs above this are kept in host memory
  double compile_timeout_s = 600;   ///< one load_inline build
  double run_timeout_s = 600;       ///< one candidate's correctness trials and timing
  double max_rel_l2 = 1e-2;         ///< largest ||out - ref|| / ||ref|| of a correct output
  double min_spread_ratio = 1e-3;   ///< smallest std(out) / std(ref) before an output is near-constant
  int32_t input_sets = 0;           ///< input sets drawn in random order while timed; 0 = one per trial
  /// Per-task [kernelbench.overrides."TASK"] tables: max_rel_l2, min_spread_ratio for that task.
  std::map<std::string, std::pair<double, double>> overrides;
};

/// The memory's knowledge base, consolidation and cross-campaign import ([memory]).
struct memory_settings {
  int32_t kb_items = 1;               ///< knowledge-base optimizations drawn per refine step
  double kb_temperature = 0.5;        ///< softmax temperature over predicted speedup x confidence
  double kb_use_penalty = 0.1;        ///< penalty per log(1 + uses)
  double kb_confidence_samples = 5;   ///< samples for full confidence
  double kb_bound_match = 0.6;        ///< weight of an entry from another efficiency bucket, same bound
  double kb_family_match = 0.3;       ///< weight of an entry from another bound of the family
  bool cross_family = true;           ///< seeds and changes of other families may be retrieved
  int32_t consolidate_every = 40;     ///< experiences between consolidation passes; 0 = never
  int32_t consolidate_min_ms = 1000;  ///< ...and at least this long between them; 0 = no bound
  int32_t insight_min_evidence = 3;   ///< observations before a rule becomes an insight
  int32_t retire_min_visits = 8;      ///< value updates before an item may be retired
  double retire_below = -0.5;         ///< retire when every visited stage value stays below this
  std::filesystem::path from;         ///< a store or snapshot whose memory items seed this one; empty = none
};

/// The per-task archive of parents ([archive]).
struct archive_settings {
  int32_t best = 2;
  int32_t diverse = 4;
  int32_t min_distance = 2;
  double epsilon = 0.05;
  double prior_scale = 3.0;
};

/// How the roofline peaks are obtained and used ([machine]).
struct machine_settings {
  bool measure = true;       ///< measure the peaks (cached in the store); false: use the nominal peaks below
  double peak_gflops = 100;  ///< nominal peaks, used when measure = false
  double peak_gbps = 20;
  std::vector<double> working_sets_kib = hardware::default_working_sets_kib();  ///< bandwidth curve
  double stream_ms = 40;        ///< stream time per working set (half triad, half read-only)
  double fma_ms = 150;          ///< FMA benchmark time
  double latency_floor_us = 2;  ///< roofline time below which a kernel counts as latency-bound
  std::vector<double> efficiency_buckets = {0.05, 0.1, 0.2, 0.35, 0.5, 0.7};
};

/// The [workers] table (issue 16): remote verifier workers (`kforge worker`) for this campaign.
struct workers_settings {
  std::string listen;                 ///< "ADDR:PORT" the coordinator listens on; empty = no workers
  std::filesystem::path secret_file;  ///< the campaign secret (required with listen)
  bool tls = true;  ///< encrypt with libcaf_openssl (anonymous TLS; workers connect with TLS too)
  bool allow_plaintext = false;  ///< allow a non-loopback listen address with tls = false
  bool local = true;             ///< the coordinator's own device verifies too
  int32_t local_slots = 2;       ///< jobs in flight on the coordinator's own pool
  int64_t heartbeat_ms = 1000;   ///< a heartbeat to every worker this often
  int64_t deadline_ms = 5000;    ///< a worker that does not answer one within this is lost

  [[nodiscard]] bool enabled() const noexcept { return !listen.empty(); }
};

/// A whole campaign config.
struct campaign_config {
  std::filesystem::path file;  ///< where it was loaded from
  std::string text;            ///< its text (stored with the campaign)
  std::string name;            ///< campaign id, [a-z0-9_-]+
  uint64_t seed = 1;
  std::vector<std::string> tasks;         ///< globs, relative to the config file
  int32_t max_live_tasks = 0;             ///< tasks searched at once; 0 = all
  std::vector<std::string> family_order;  ///< families started first, in this order
  // [budget]
  int64_t evaluations_per_task = 20;
  int64_t evaluations = 0;  ///< overall; 0 = tasks x per-task
  double wall_minutes = 0;  ///< 0 = unlimited
  int64_t plateau = 8;
  // [policy]
  std::string policy = "offline";
  int32_t candidates_per_step = 2;
  double explore = 0.25;
  double second_change = 0.3;
  // [memory]
  int32_t context_items = 4;
  int32_t lambda = 5;
  double epsilon = 0.1;
  double alpha = 0.2;
  bool cross_task = true;
  bool use_values = true;
  bool memory_enabled = true;
  // [verifier]
  verifier_settings verifier;
  // [cuda], [kernelbench]
  cuda_settings cuda;
  kernelbench_settings kernelbench;
  // [workers]
  workers_settings workers;
  // [store]
  std::filesystem::path store_path;
  int64_t store_map_mib = 1024;
  bool store_own_thread = false;  ///< [store] own_thread: the curator on a thread of its own
  // [llm]: the openai policy's endpoints, retries and budgets
  actors::llm_settings llm;
  // [memory] knowledge base and consolidation, [archive], [machine] roofline peaks
  memory_settings memory;
  archive_settings archive;
  machine_settings machine;

  /// The overall evaluation budget: `evaluations`, or tasks x per-task when 0 (saturating at
  /// INT64_MAX; load_campaign_tasks refuses a campaign whose product overflows).
  [[nodiscard]] int64_t evaluation_budget(size_t task_count) const noexcept {
    if (evaluations > 0)
      return evaluations;
    int64_t total = 0;
    if (__builtin_mul_overflow(static_cast<int64_t>(task_count), evaluations_per_task, &total))
      return INT64_MAX;
    return total;
  }
};

/// Loads and validates a campaign config. Errors: errc::bad_config with
/// "file:line: what is wrong" (syntax error, unknown key, wrong type, value
/// out of range, missing required key). Nothing is started on error.
[[nodiscard]] caf::expected<campaign_config> load_campaign_config(const std::filesystem::path& file);

/// Same, from text (tests); `name` is used as the file name in messages.
[[nodiscard]] caf::expected<campaign_config> parse_campaign_config(const std::string& text,
                                                                   const std::filesystem::path& name);

}  // namespace kforge::runtime
