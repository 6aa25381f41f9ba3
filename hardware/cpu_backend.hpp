#pragma once

#include "hardware/harness.hpp"
#include "hardware/inputs.hpp"
#include "hardware/subprocess.hpp"
#include "hardware/task.hpp"
#include "hardware/verdict.hpp"
#include "runtime/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// Default limits of the compile stage: 60 s wall, 4 GiB address space.
[[nodiscard]] process_limits default_compile_limits();

/// Default limits of the run stage: 20 s wall, 20 s CPU, 2 GiB address space.
[[nodiscard]] process_limits default_run_limits();

/// Settings of the CPU backend (the verifier config's `cpu` section).
struct cpu_backend_config {
  std::string cxx = "g++";  ///< compiler: a path or a name in /usr/bin:/bin
  std::vector<std::string> cxx_flags = {"-O3", "-march=native"};  ///< for kernels and the reference
  std::vector<std::string> harness_flags = {"-O2"};               ///< for the trusted harness object
  std::filesystem::path work_dir;                                 ///< holds tasks/, candidates/, runs/
  process_limits compile_limits = default_compile_limits();       ///< for the harness, reference and kernels
  process_limits run_limits = default_run_limits();  ///< for one harness run (all seeds and timing)
  int seeds = 2;                                     ///< input seeds checked for correctness (>= 1)
  int warmup = 3;                                    ///< untimed calls before timing
  int min_runs = 10;                                 ///< timed calls at least
  int max_runs = 100;                                ///< timed calls at most
  double target_ms = 200;              ///< stop timing after this much timed time once min_runs are done (ms)
  int64_t flush_kib = 4096;            ///< KiB written between timed calls to evict caches; 0 = off
  std::size_t output_cap = 16 * 1024;  ///< bytes of compiler or program output kept (overrides the limits')
  std::size_t detail_cap = 2 * 1024;   ///< bytes of each gate's detail in a verdict
  std::string device = "cpu";          ///< the verdicts' device name
};

/// What prepare_task computes once per task: the inputs and the reference's
/// outputs for every seed, and the reference's latency. Kept in memory by the
/// verifier; read-only afterwards, so it may be shared between threads.
struct reference_data {
  std::string task_id;                   ///< the task it was made for
  std::string definition_hash;           ///< of the task it was made for
  std::vector<tensor_set> inputs;        ///< per seed; [0] is seed 1
  std::vector<tensor_set> outputs;       ///< the reference's outputs per seed
  timing_stats timing;                   ///< the reference's latency under the same harness
  std::filesystem::path harness_object;  ///< the compiled harness every kernel is linked with
};

/// The outcome of the compile gate for one candidate.
struct compile_result {
  bool ok = false;               ///< compiled and linked
  std::filesystem::path binary;  ///< the linked program when ok; lives until discard()
  std::filesystem::path dir;     ///< the candidate directory holding it (empty when not ok)
  std::string output;            ///< compiler output (errors, warnings), capped at output_cap
  double wall_ms = 0;            ///< wall time of the compiler
};

/// Compiles, runs, checks and times C++ kernels on the host CPU (gates 1-4).
/// A plain class: every operation blocks on subprocesses, so callers run it in
/// detached actors. Const operations keep no state between calls and may run
/// concurrently from several threads (each uses its own directories).
class cpu_backend {
 public:
  /// Makes a backend; nothing is touched on disk until the first operation.
  explicit cpu_backend(cpu_backend_config config);

  /// The configuration.
  [[nodiscard]] const cpu_backend_config& config() const noexcept { return config_; }

  /// Gate 1, the static hack check (see hack_check.hpp).
  [[nodiscard]] gate_result hack_check(const task_def& task, std::string_view source) const;

  /// Prepares a task: writes the generated harness under
  /// work_dir/tasks/<id>/ and compiles it to an object (once per definition
  /// hash), then compiles the reference like a candidate and runs it through
  /// the same sandbox and harness to get its outputs per seed and its timing.
  /// Errors: errc::compile_failed (harness or reference does not compile, with
  /// the compiler output), errc::reference_failed (the reference crashes,
  /// times out, writes no or malformed output, leaves outputs NaN or changes
  /// its result between calls), errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] caf::expected<reference_data> prepare_task(const task_def& task) const;

  /// Gate 2: writes `source` into a fresh directory work_dir/candidates/<cand_id>-XXXXXX,
  /// compiles it with `cxx -std=c++17 <cxx_flags>` and links it with the task's
  /// harness object and -lm, sandboxed under the compile limits. A compile error
  /// is a result with ok == false (its directory is already removed); when ok,
  /// the binary stays until discard(). Errors: errc::not_found (task not
  /// prepared), errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] caf::expected<compile_result> compile(const task_def& task, std::string_view source,
                                                      const std::string& cand_id) const;

  /// Gates 3 and 4: runs a compiled candidate once in a fresh sandboxed
  /// directory under the run limits, compares every output of every seed and
  /// the output after timing with the reference (in this process), and
  /// summarises the timed calls. Hack and compile are recorded as passed. A
  /// crash, non-zero exit, timeout, missing or malformed output or mismatch
  /// is a verdict failed at correctness; no timings one failed at latency.
  /// Errors (kforge's own failures only): errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] caf::expected<verdict> run(const task_def& task, const compile_result& compiled,
                                           const reference_data& reference) const;

  /// Removes the candidate directory of `compiled` and clears it; call once
  /// the run is over. Errors: errc::io_failed.
  [[nodiscard]] caf::error discard(compile_result& compiled) const;

  /// All gates in order for one candidate: hack, compile, run, discard.
  /// Errors as compile() and run().
  [[nodiscard]] caf::expected<verdict> evaluate(const task_def& task, std::string_view source,
                                                const std::string& cand_id,
                                                const reference_data& reference) const;

 private:
  /// Raw results of one harness run.
  struct execution {
    exit_report report;               ///< how the harness process ended
    std::string problem;              ///< why the run gave no usable outputs; empty if it did
    std::vector<tensor_set> outputs;  ///< per seed
    tensor_set post_outputs;          ///< seed 1 again, after timing
    std::vector<uint64_t> times_ns;   ///< per timed call; empty if missing
    std::string timing_problem;       ///< why there are no timings
  };

  /// Runs `binary` (a harness-linked program) on `inputs` in a fresh run directory and reads what it wrote.
  [[nodiscard]] caf::expected<execution> execute(const task_def& task, const std::filesystem::path& binary,
                                                 const std::vector<tensor_set>& inputs) const;
  /// Compiles the task's harness object unless it exists; returns its path.
  [[nodiscard]] caf::expected<std::filesystem::path> build_harness(const task_def& task) const;
  /// work_dir/tasks/<id>/harness-<definition hash prefix>.o
  [[nodiscard]] std::filesystem::path harness_object_path(const task_def& task) const;
  /// The harness parameters from the configuration.
  [[nodiscard]] harness_params params() const;

  cpu_backend_config config_;  ///< immutable after construction
};

}  // namespace kforge::hardware
