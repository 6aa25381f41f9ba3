#pragma once

#include "hardware/channel/result_channel.hpp"
#include "hardware/native/inputs.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// The trusted harness that kforge generates for a task and links with every
/// kernel. It is started in a run directory holding in_1.bin .. in_S.bin and
/// an empty file `channel`, with the per-run nonce as its last argument.
///
/// Before any code of the kernel runs (a constructor of priority 101, ahead of
/// every dynamic initializer of the kernel), it copies the nonce and overwrites
/// it in argv (so /proc/self/cmdline no longer shows it), opens `channel` and
/// unlinks it, reads every input file and unlinks it, and notes the core it is
/// pinned to (the sandbox pins it: process_limits::cpu_affinity). The kernel
/// then sees an empty directory. Then `main`:
/// 1. for each seed s: fresh inputs, outputs filled with NaN, one call; keeps
///    the outputs and the inputs as the call left them;
/// 2. timing: `warmup` calls, then timed calls (CLOCK_MONOTONIC around each)
///    over the inputs of every seed in random order (blocks of `seeds` calls,
///    each a permutation of all seeds drawn from the nonce), each with fresh
///    inputs, NaN outputs and `flush_bytes` written to evict caches (outside
///    the timed region); of each seed it keeps the outputs of the timed call
///    that stray furthest from that seed's step-1 outputs (NaN the furthest).
///    It stops after `max_runs`, or once `min_runs` and `seeds` calls are done and either
///    the 95 % confidence interval of the median (median_ci) has a half-width
///    below `ci_width` x median or `cap_ns` of wall time have passed;
/// 3. only after the last kernel call: writes every result as framed records
///    on the channel descriptor, then an end record, and ends with _Exit(0)
///    (no atexit handler or static destructor of the kernel runs after it).
/// Exit codes: 0 done, 2 bad arguments, 3 unreadable input, 4 cannot write the
/// result channel, 5 cannot open the result channel.
///
/// Records are framed as result_channel.hpp says. Tensor payload: u32 count,
/// u32 0, one u64 element count per tensor, the float32 data of each tensor.
/// Timing payload: one u64 per timed call (ns), in call order. End payload:
/// u64 records before it, i64 the one core the harness may run on (-1: not pinned).
/// The verifier accepts a channel only if it is exactly the expected records,
/// each with this run's nonce, closed by the end record.
///
/// Tensor files (inputs): "KFTENSOR", u32 version (1), u32 tensor count, one
/// u64 element count per tensor, then the float32 data of each tensor.

/// How the harness runs: passed on its command line.
struct harness_params {
  int seeds = 2;                      ///< input files in_1.bin .. in_<seeds>.bin, all drawn while timed
  int warmup = 3;                     ///< untimed calls before timing
  int min_runs = 10;                  ///< timed calls at least
  int max_runs = 100;                 ///< timed calls at most
  int64_t cap_ns = 200'000'000;       ///< wall-clock cap of the timing loop once min_runs are done (ns)
  int64_t flush_bytes = 4096 * 1024;  ///< written between timed calls to evict caches; 0 = off
  double ci_width = 0.02;             ///< stop once the median's CI half-width is below this x median
};

/// What the harness reported on the result channel of one run.
struct harness_report {
  std::vector<tensor_set> outputs;        ///< per seed: outputs of the correctness call
  std::vector<tensor_set> inputs_after;   ///< per seed: the inputs after the correctness call
  std::vector<tensor_set> timed_outputs;  ///< per seed: outputs of its timed call furthest from outputs[seed]
  std::vector<uint64_t> times_ns;         ///< per timed call, in call order (ns)
  int pinned_cpu = -1;                    ///< the core the harness ran on, -1 if it was not pinned
};

/// The input file of `seed`: "in_<seed>.bin".
[[nodiscard]] std::string input_file_name(int seed);

/// The C++17 harness is two objects linked with every kernel: a core that is the same for every
/// task (setup, checked calls, timing loop, result channel), compiled once, and a small part per
/// task that holds the task's tensor sizes and calls its kernel. Names of both start with `kforge_`
/// (the hack gate forbids them in kernels, so a kernel cannot define or interpose any of them).
[[nodiscard]] std::string harness_core_source();

/// The task's part: declares the kernel from `task.signature` and calls it as `task.call`, over
/// variables named after the inputs and outputs.
[[nodiscard]] std::string harness_task_source(const task_def& task);

/// The CUDA variant of the harness (compiled with nvcc): the same arguments,
/// setup and result channel, but `task.signature` is a host function over
/// device pointers. Every call gets fresh device copies of its inputs and
/// outputs whose bytes are all 0xff (NaN); a timed call is preceded by an L2
/// flush (twice the device's L2 size written) when flush_bytes > 0, and timed
/// by two CUDA events on the default stream around it; the device is
/// synchronized before outputs are read. A CUDA error ends the run with exit
/// code 6 and the error's name on stderr.
[[nodiscard]] std::string harness_source_cuda(const task_def& task);

/// The harness's arguments after the program name; the nonce comes last.
[[nodiscard]] std::vector<std::string> harness_args(const harness_params& params, const run_nonce& nonce);

/// The largest result channel the harness of `task` writes under `params` (bytes).
[[nodiscard]] std::size_t max_channel_bytes(const task_def& task, const harness_params& params);

/// Parses and checks a result channel (parse_records with the native
/// harness's rules): it must hold the outputs and inputs of
/// every seed, the timing, the timed outputs of each timing set and finally
/// the end record, each exactly once, each carrying `nonce`, with nothing
/// before, between or after them. Pure; runs in the trusted process. Errors:
/// errc::io_failed whose context completes "the result channel ...": "is
/// empty", "holds bytes that are not a harness record at byte 0 ...", "holds a
/// record with a wrong nonce at byte 120 ...", "has no end record ...".
[[nodiscard]] caf::expected<harness_report> parse_channel(std::string_view bytes, const run_nonce& nonce,
                                                          const task_def& task, const harness_params& params);

/// Encodes a tensor payload as the harness writes it.
[[nodiscard]] std::string encode_tensors(const tensor_set& tensors);

/// Encodes a timing payload as the harness writes it.
[[nodiscard]] std::string encode_times(const std::vector<uint64_t>& ns);

/// Writes `tensors` as a tensor file. Errors: errc::io_failed naming the path.
[[nodiscard]] caf::error write_tensor_file(const std::filesystem::path& path, const tensor_set& tensors);

/// Reads a tensor file that must hold exactly the tensors of `specs`. On
/// failure returns errc::io_failed with a short reason ("missing", "too
/// short", "bad header", "tensor 0 has 10 elements, expected 1000").
[[nodiscard]] caf::expected<tensor_set> read_tensor_file(const std::filesystem::path& path,
                                                         const std::vector<tensor_spec>& specs);

}  // namespace kforge::hardware
