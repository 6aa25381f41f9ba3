#pragma once

#include "hardware/native/harness.hpp"
#include "hardware/native/inputs.hpp"
#include "hardware/native/ncu_profile.hpp"
#include "hardware/sandbox/subprocess.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// Default limits of the compile stage: 60 s wall, 4 GiB address space, niceness 10.
[[nodiscard]] process_limits default_compile_limits();

/// Default limits of the run stage: 20 s wall, 20 s CPU, 2 GiB address space.
[[nodiscard]] process_limits default_run_limits();

/// Settings of the CPU backend (the verifier config's `cpu` section).
struct cpu_backend_config {
  std::string cxx = "g++";  ///< compiler: a path or a name in /usr/bin:/bin
  std::vector<std::string> cxx_flags = {"-O3", "-march=native"};  ///< for kernels and the reference
  std::vector<std::string> harness_flags = {"-O2"};               ///< for the trusted harness object
  std::vector<std::string> link_flags;  ///< when linking a kernel with the harness (e.g. -fuse-ld=gold)
  /// A C++ source is compiled once to an object kept in work_dir/objects (named by the hash of the
  /// source and the flags) and each task links it: a family's reference, or a knob setting that
  /// several tasks draw, costs one compile. Off: every compile builds and links in one step.
  bool shared_objects = true;
  /// Header sets precompiled once with cxx_flags; a source that includes any of their headers is
  /// compiled with the smallest set that covers them (precompiled_header.hpp). Empty = none.
  std::vector<std::vector<std::string>> header_sets;
  std::filesystem::path work_dir;  ///< holds tasks/, candidates/, runs/
  std::vector<std::filesystem::path>
      hidden_paths;  ///< covered by an empty tmpfs in every sandbox (the store)
  process_limits compile_limits = default_compile_limits();  ///< for the harness, reference and kernels
  process_limits run_limits = default_run_limits();          ///< for one harness run (all seeds and timing)
  int seeds = 8;   ///< input sets checked for correctness and drawn in random order while timed (at least 2)
  int warmup = 3;  ///< untimed calls before timing
  int min_runs = 10;   ///< timed calls at least (raised to seeds: every input set timed once)
  int max_runs = 100;  ///< timed calls at most (raised to min_runs)
  double target_ms =
      200;  ///< wall-clock cap of one timing loop (ms, flushes included) once min_runs are done
  double ci_width = 0.02;        ///< timing stops once the median's 95 % CI half-width is below this x median
  int64_t flush_kib = 4096;      ///< KiB written between timed calls to evict caches; 0 = off
  double flag_speedup = 10;      ///< a candidate this many times faster than the reference is re-measured
                                 ///< and flagged; 0 = never
  double noise_threshold = 0.1;  ///< two measurements whose medians differ by more (relative) disagree
  int timing_cpu = -1;  ///< core the run stage pins every harness run to (sets run_limits.cpu_affinity);
                        ///< -1 = leave run_limits.cpu_affinity as it is
  /// Bytes of prepared references' inputs and outputs kept in memory (cpu_device); the rest are read
  /// back from their file under work_dir/tasks/<id>/ when a candidate of theirs runs.
  int64_t reference_memory_bytes = int64_t{256} << 20;
  std::size_t output_cap = 16 * 1024;  ///< bytes of compiler or program output kept (overrides the limits')
  std::size_t detail_cap = 2 * 1024;   ///< bytes of each gate's detail in a verdict
  std::string device = "cpu";          ///< the verdicts' device name
  /// "cpp": C++ kernels built with `cxx` against harness_source(); "cuda": CUDA
  /// kernels (kernel.cu) built with `cxx` = nvcc against harness_source_cuda()
  /// (CUDA kernels run on this backend with the CUDA toolchain: cuda_toolchain.hpp).
  std::string language = "cpp";
  /// Gate 1 also judges the source with its macros expanded (g++ -E -P over the source with its
  /// includes blanked, sandboxed): what the compiler sees. C++ only; false = the lexical pass only.
  bool gate_preprocess = true;
  std::vector<std::string> extra_env;  ///< added to every sandbox's environment (CUDA's library path)
  /// Nsight Compute for the profile of timed CUDA kernels (empty: no ncu run, roofline only).
  std::string ncu;
  bool profile = false;    ///< profile every timed candidate and add the profile to the latency gate's detail
  double peak_gbps = 0;    ///< the device's memory bandwidth for the roofline (GB/s); 0 = unknown
  double peak_gflops = 0;  ///< the device's FP32 rate for the roofline (GFLOP/s); 0 = unknown
};

/// What prepare_task computes once per task: the inputs and the reference's
/// outputs for every seed, and the reference's latency. Kept in memory by the
/// verifier; read-only afterwards, so it may be shared between threads.
struct reference_data {
  std::string task_id;                   ///< the task it was made for
  std::string reference_hash;            ///< task_def::reference_hash of the task it was made for
  std::vector<tensor_set> inputs;        ///< per seed (at least 2); [0] is seed 1
  std::vector<tensor_set> outputs;       ///< the reference's outputs per seed
  timing_stats timing;                   ///< the reference's latency under the same harness (re-measured once
                                         ///< when its CI did not converge)
  std::filesystem::path harness_object;  ///< the compiled harness every kernel is linked with
};

/// The outcome of the compile gate for one candidate.
struct compile_result {
  bool ok = false;               ///< compiled and linked
  std::filesystem::path binary;  ///< the linked program when ok; lives until discard()
  std::filesystem::path dir;     ///< the candidate directory holding it (empty when not ok)
  std::string output;            ///< compiler output (errors, warnings), capped at output_cap
  double wall_ms = 0;            ///< wall time of the compiler
  bool timed_out = false;        ///< the compiler ran past its wall-clock limit (not ok)
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

  /// Gate 1, the static hack check (see hack_check.hpp); with gate_preprocess, a source that
  /// passes is checked again as the preprocessor expands it ("after macro expansion: ...").
  [[nodiscard]] gate_result hack_check(const task_def& task, std::string_view source) const;

  /// Prepares a task: precompiles the header sets (once per backend), writes the generated harness under
  /// work_dir/tasks/<id>/ and compiles it to an object (once per definition
  /// hash), then compiles the reference like a candidate and runs it through
  /// the same sandbox and harness to get its outputs per seed and its timing.
  /// A reference timing whose CI did not converge is measured once more
  /// (then `timing.noisy` says whether it is still wide).
  /// Errors: errc::compile_failed (harness or reference does not compile, with
  /// the compiler output), errc::reference_failed (the reference crashes,
  /// times out, reports no or a malformed result, leaves outputs NaN, changes
  /// its inputs or changes its result in the timing loop), errc::sandbox_failed,
  /// errc::io_failed.
  [[nodiscard]] caf::expected<reference_data> prepare_task(const task_def& task) const;

  /// The first part of prepare_task, for the compile stage: the header sets, the harness object
  /// and the reference program (compiled like a candidate; the caller runs it with
  /// run_reference or discards it). Errors: errc::compile_failed, errc::timed_out (the harness
  /// or the reference compile ran past the compile wall-clock limit), errc::sandbox_failed,
  /// errc::io_failed.
  [[nodiscard]] caf::expected<compile_result> build_reference(const task_def& task) const;

  /// The second part of prepare_task, for the run stage: generates the inputs, runs `program`
  /// (from build_reference) for the reference's outputs and timing, then discards it. Errors:
  /// errc::reference_failed, errc::timed_out (the reference ran past the run wall-clock limit),
  /// errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] caf::expected<reference_data> run_reference(const task_def& task,
                                                            compile_result& program) const;

  /// The bytes that restore_reference turns back into `ref` (its outputs per seed and its
  /// timing; inputs are regenerated, being a pure function of the task and seed). Binary, in
  /// this host's float layout, tagged with the task, its definition and the seed count.
  [[nodiscard]] std::string encode_reference(const reference_data& ref) const;

  /// The reference data of `task` from encode_reference's `bytes`, with the inputs regenerated
  /// and the harness object built (build_harness) so that candidates can be compiled and run
  /// against it at once. Errors: errc::bad_request (the bytes are not this task's, definition's
  /// or seed count's, or are malformed: the reason), build_harness's.
  [[nodiscard]] caf::expected<reference_data> restore_reference(const task_def& task,
                                                                std::string_view bytes) const;

  /// Gate 2: writes `source` into a fresh directory work_dir/candidates/<cand_id>-XXXXXX,
  /// compiles it with `cxx -std=c++17 <cxx_flags>` (plus `-include` of a precompiled header set when
  /// the source includes a header of one) and links it with the task's
  /// harness object, <link_flags> and -lm, sandboxed under the compile limits. A compile error
  /// is a result with ok == false (its directory is already removed); when ok,
  /// the binary stays until discard(). Errors: errc::not_found (task not
  /// prepared), errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] caf::expected<compile_result> compile(const task_def& task, std::string_view source,
                                                      const std::string& cand_id) const;

  /// The compiler command line that compiles and links `source` in one step in the candidate's
  /// directory (CUDA, or shared_objects off).
  [[nodiscard]] std::vector<std::string> compile_argv(const task_def& task, std::string_view source) const;
  /// The compiler and its flags for `source` (with the `-include` of a precompiled header set).
  [[nodiscard]] std::vector<std::string> compile_flags(std::string_view source) const;
  /// The compiler linking `kernel` (a source or an object) with the task's harness and the core.
  [[nodiscard]] std::vector<std::string> link_argv(const task_def& task, const std::string& kernel) const;
  /// Where the object of `source` compiled with `flags` is kept for every task (shared_objects).
  [[nodiscard]] std::filesystem::path shared_object_path(const std::vector<std::string>& flags,
                                                         std::string_view source) const;

  /// Gates 3 and 4: runs a compiled candidate in a fresh sandboxed directory
  /// under the run limits and checks, in this process, what its harness
  /// reported on the result channel (harness.hpp): the channel must be intact
  /// (this run's nonce on every record, the end record last), the outputs of
  /// every seed must match the reference, the inputs must come back as they
  /// were generated, and the outputs of the last timed call on seed 1 and on
  /// seed 2 (timing alternates them) must match too. A crash, non-zero exit,
  /// timeout, early exit, forged or corrupted channel, mutated input or
  /// mismatch is a verdict failed at correctness. A measurement whose median
  /// CI did not converge, or that is more than `flag_speedup` times faster
  /// than `reference.timing`, is measured once more by a second full run
  /// (checked the same way): the verdict then holds both (`first_timing`,
  /// `timing`), `flagged`, `timings_disagree` and `timing.noisy`. Hack and
  /// compile are recorded as passed.
  /// Errors (kforge's own failures only): errc::sandbox_failed, errc::io_failed, errc::bad_request.
  [[nodiscard]] caf::expected<verdict> run(const task_def& task, const compile_result& compiled,
                                           const reference_data& reference) const;

  /// The profile of a compiled, timed kernel: one more harness run
  /// under `config().ncu` (the first launch of the kernel profiled, in the
  /// sandbox like every run); when ncu is not configured, fails or reports no
  /// metric, the roofline from `median_ns` alone, with the reason in `note`.
  /// Errors: those of run().
  [[nodiscard]] caf::expected<kernel_profile> profile(const task_def& task, const compile_result& compiled,
                                                      const reference_data& reference,
                                                      double median_ns) const;

  /// Removes the candidate directory of `compiled` and clears it; call once
  /// the run is over. Errors: errc::io_failed.
  [[nodiscard]] caf::error discard(compile_result& compiled) const;

  /// Compiles the task's harness object unless it exists; returns its path
  /// (prepare_task does this first; public so that the compile gate can be
  /// exercised where the reference cannot run, e.g. CUDA without a GPU).
  [[nodiscard]] caf::expected<std::filesystem::path> build_harness(const task_def& task) const;

  /// All gates in order for one candidate: hack, compile, run, discard.
  /// Errors as compile() and run().
  [[nodiscard]] caf::expected<verdict> evaluate(const task_def& task, std::string_view source,
                                                const std::string& cand_id,
                                                const reference_data& reference) const;

 private:
  /// Raw results of one harness run.
  struct execution {
    exit_report report;     ///< how the harness process ended
    std::string problem;    ///< why the run gave no usable report (exit, channel); empty if it did
    harness_report result;  ///< what the harness reported on the result channel
    harness_params params;  ///< how it ran
  };

  /// One checked run of a candidate.
  struct measurement {
    std::string failure;       ///< the correctness detail; empty if every check passed
    double max_abs_error = 0;  ///< over every compared output
    timing_stats timing;       ///< of the timed calls
    double run_ms = 0;         ///< wall time of the run
    int pinned_cpu = -1;       ///< the core the harness ran on
  };

  /// Runs `binary` (a harness-linked program) on `inputs` in a fresh run
  /// directory with a fresh nonce and parses its result channel.
  [[nodiscard]] caf::expected<execution> execute(const task_def& task, const std::filesystem::path& binary,
                                                 const std::vector<tensor_set>& inputs,
                                                 const std::vector<std::string>& prefix = {}) const;
  /// execute() and every check of a candidate against `reference`.
  [[nodiscard]] caf::expected<measurement> measure(const task_def& task, const std::filesystem::path& binary,
                                                   const reference_data& reference) const;
  /// True if `timing` is more than flag_speedup times faster than `reference_ns`.
  [[nodiscard]] bool is_implausible(const timing_stats& timing, double reference_ns) const noexcept;
  /// work_dir/tasks/<id>/harness-<hash>.o, the hash over the definition, the generated text, its flags
  /// and the core's path (a CPU task's part of the harness; a CUDA task's whole harness).
  [[nodiscard]] std::filesystem::path harness_object_path(const task_def& task) const;
  /// Compiles `source` (written as `source_name`) with the harness flags in the sandbox and
  /// publishes the object at `object` by rename (concurrent builds of one object are safe).
  /// `what` names it in the error.
  [[nodiscard]] caf::error compile_harness_object(const std::string& source, const std::string& source_name,
                                                  const std::filesystem::path& object,
                                                  const std::string& what) const;
  /// Precompiles every header set that is not yet built (once per compiler and flags; shared by tasks).
  [[nodiscard]] caf::error build_header_sets() const;
  /// work_dir/pch/<hash>/set.hpp for header set `i`, the hash over the compiler, flags and text.
  [[nodiscard]] std::filesystem::path header_set_path(std::size_t i) const;
  /// The generated harness text for the configured language.
  [[nodiscard]] std::string generated_harness(const task_def& task) const;
  /// The source with its macros expanded (includes blanked; g++ -E -P in the sandbox), or the
  /// preprocessor's complaint as the error.
  [[nodiscard]] caf::expected<std::string> expand_macros(std::string_view source) const;
  /// The harness parameters from the configuration.
  [[nodiscard]] harness_params params() const;

  cpu_backend_config config_;  ///< immutable after construction
  /// work_dir/harness/core-<hash>.o, the harness core every CPU task's kernels link (empty for CUDA,
  /// whose harness is one object per task); the hash over the core's text, compiler and flags.
  std::filesystem::path core_object_;
};

}  // namespace kforge::hardware
