#pragma once

#include "hardware/inputs.hpp"
#include "hardware/task.hpp"
#include "hardware/verdict.hpp"
#include "runtime/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kforge::hardware {

/// The trusted harness that kforge generates for a task and links with every
/// kernel. Run in a directory holding in_1.bin .. in_S.bin, it:
/// 1. for each seed s: reads in_s.bin, fills the outputs with NaN, calls the
///    kernel once, writes out_s.bin;
/// 2. on seed 1's inputs: `warmup` calls, then timed calls (CLOCK_MONOTONIC
///    around each call; `flush_bytes` of a buffer written between calls,
///    outside the timed region) until `max_runs`, or until `min_runs` are done
///    and `target_ns` have been timed; writes timing.bin;
/// 3. re-reads in_1.bin (the kernel may have changed its inputs), fills the
///    outputs with NaN, calls once more and writes out_post.bin.
/// Exit codes: 0 done, 2 bad arguments, 3 unreadable input, 4 unwritable output.
///
/// Tensor files: "KFTENSOR", u32 version (1), u32 tensor count, one u64
/// element count per tensor, then the float32 data of each tensor (host byte
/// order). Timing file: "KFTIMING", u32 version (1), u32 0, u64 count, then
/// one u64 per timed call (ns).

/// How the harness runs: passed on its command line.
struct harness_params {
  int seeds = 2;                      ///< input files in_1.bin .. in_<seeds>.bin
  int warmup = 3;                     ///< untimed calls before timing
  int min_runs = 10;                  ///< timed calls at least
  int max_runs = 100;                 ///< timed calls at most
  int64_t target_ns = 200'000'000;    ///< stop timing after this much timed time once min_runs are done
  int64_t flush_bytes = 4096 * 1024;  ///< written between timed calls to evict caches; 0 = off
};

/// The input file of `seed`: "in_<seed>.bin".
[[nodiscard]] std::string input_file_name(int seed);

/// The output file of `seed`: "out_<seed>.bin".
[[nodiscard]] std::string output_file_name(int seed);

/// The output of the call after timing (seed 1's inputs).
inline constexpr const char* post_output_file = "out_post.bin";

/// The per-call durations of the timed calls.
inline constexpr const char* timing_file = "timing.bin";

/// The C++17 source of the harness for `task`: declares the kernel from
/// `task.signature` and calls it as `task.call`, over variables named after
/// the inputs and outputs. Its own names start with `kforge_`.
[[nodiscard]] std::string harness_source(const task_def& task);

/// The harness's arguments after the program name.
[[nodiscard]] std::vector<std::string> harness_args(const harness_params& params);

/// Writes `tensors` as a tensor file. Errors: errc::io_failed naming the path.
[[nodiscard]] caf::error write_tensor_file(const std::filesystem::path& path, const tensor_set& tensors);

/// Reads a tensor file that must hold exactly the tensors of `specs`. On
/// failure returns errc::io_failed with a short reason ("missing", "too
/// short", "bad header", "tensor 0 has 10 elements, expected 1000").
[[nodiscard]] caf::expected<tensor_set> read_tensor_file(const std::filesystem::path& path,
                                                         const std::vector<tensor_spec>& specs);

/// Reads the timing file: one duration per timed call (ns). Errors: errc::io_failed.
[[nodiscard]] caf::expected<std::vector<uint64_t>> read_timing_file(const std::filesystem::path& path);

/// Median, minimum, mean, sample standard deviation and count of `ns`.
[[nodiscard]] timing_stats summarize_timing(std::vector<uint64_t> ns);

}  // namespace kforge::hardware
