#pragma once

// KernelBench problems as kforge tasks (issue 7). A problem file (a PyTorch
// `Model` with `get_inputs()` and `get_init_inputs()`) from a directory the
// user names becomes a task of backend "kernelbench": its reference is the
// file itself, its template a `ModelNew` generator (CUDA through
// torch.utils.cpp_extension.load_inline) for the operator kind kforge
// recognises in `forward`, with knobs for the offline policy.
//
// kernelbench_device runs candidates by the KernelBench protocol in a trusted
// Python harness (kernelbench_harness_source) inside kforge's sandbox with the
// GPU visible: the same seed for both models' weights, 5 correctness trials on
// fresh inputs, atol = rtol = 1e-4 for fp32 and 1e-2 for fp16/bf16, an output
// shape check, CUDA events around each of 100 timed runs after 3 warm-ups with
// the L2 flushed (a 256 MiB write) before each. Reference outputs are computed
// before the candidate module is imported; after each candidate call only the
// current stream is synchronized, and an output that still changes once the
// whole device is synchronized is work on a side stream: wrong.

#include "hardware/backend.hpp"
#include "hardware/sandbox/subprocess.hpp"
#include "runtime/base/task.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// What kforge recognised in a problem's `forward`.
struct kernelbench_op {
  std::string kind;       ///< "relu", "gelu", "softsign", ...
  std::string family;     ///< the template family: "kb_elementwise"
  std::string cuda_expr;  ///< CUDA expression of the element `v` and the parameters `p0`, `p1`
  std::string p0 = "0.0";  ///< Python expression (over `self`) of the first parameter
  std::string p1 = "0.0";  ///< Python expression of the second parameter
};

/// The recognised operator of a problem's source, or nullopt (the `return`
/// expression of `forward` matches none of the supported kinds).
[[nodiscard]] std::optional<kernelbench_op> recognise_kernelbench_op(std::string_view source);

/// The kinds recognise_kernelbench_op knows, for messages.
[[nodiscard]] std::string kernelbench_supported_kinds();

/// Loads a KernelBench problem file as a task: id "kb<level>_<file stem,
/// lower case>" (level from a parent folder named levelN, else 0), backend
/// "kernelbench", the file as reference, the generated ModelNew template and
/// its knobs. Errors: errc::bad_task naming the file (unreadable, no Model,
/// get_inputs or get_init_inputs, no supported operator).
[[nodiscard]] caf::expected<task_def> load_kernelbench_problem(const std::filesystem::path& file);

/// Gate 1 for KernelBench candidates (Python with CUDA in strings). Outside
/// string literals: imports other than torch, torch.nn, torch.nn.functional,
/// torch.utils.cpp_extension and math; introspection and escape hatches (os,
/// sys, gc, inspect, ctypes, subprocess, importlib, builtins, threading,
/// signal, time, socket, pickle, exec, eval, compile, open, __import__,
/// globals, locals, vars, getattr, setattr, delattr, dunder attributes such as
/// __dict__ or __class__, _getframe, f_back); streams of its own, events and
/// graphs (Stream, stream, ExternalStream, set_stream, Event, CUDAGraph;
/// synchronizing the current stream is allowed); the random state
/// (manual_seed, seed, Generator); loading other code (load, load_library,
/// ops, _C); and
/// assignments to attributes of anything but `self` (monkey-patching). In the
/// whole text (the CUDA sources too): everything hack_check_cuda forbids by
/// name (streams, events, graphs, clocks, the driver API, device state) and
/// inline assembly. The source must define ModelNew. Pure; thread-safe.
[[nodiscard]] gate_result hack_check_python(const task_def& task, std::string_view source);

/// The text of the trusted Python harness.
[[nodiscard]] std::string kernelbench_harness_source();

/// Settings of the kernelbench backend.
struct kernelbench_config {
  std::string python = "python3";  ///< the interpreter with torch (absolute path once resolved)
  std::filesystem::path work_dir;
  std::vector<std::filesystem::path> hidden_paths;
  std::vector<std::string> extra_env;  ///< PATH, CUDA_HOME, LD_LIBRARY_PATH, ... for both stages
  std::string cuda_visible;            ///< CUDA_VISIBLE_DEVICES of the run stage (the GPU's index)
  std::string arch_list = "9.0";       ///< TORCH_CUDA_ARCH_LIST for load_inline
  process_limits compile_limits;
  process_limits run_limits;
  int trials = 5;
  int warmup = 3;
  int runs = 100;
  int64_t seed = 42;
  int flush_mib = 256;          ///< written before each timed run (KernelBench: 256 MiB)
  int keep_on_gpu_mib = 24576;  ///< reference outputs above this move to host memory
  double ci_width = 0.02;
  double flag_speedup = 10;
  std::size_t detail_cap = 2 * 1024;
  std::size_t output_cap = 16 * 1024;
  std::string device = "cuda:0";
};

/// The kernelbench backend for one GPU.
class kernelbench_device final : public backend {
 public:
  explicit kernelbench_device(kernelbench_config config);

  [[nodiscard]] std::string device() const override { return config_.device; }
  [[nodiscard]] std::string build_signature() const override { return signature_; }
  [[nodiscard]] gate_result hack_check(const task_def& task, const std::string& source) const override;
  [[nodiscard]] caf::expected<timing_stats> prepare(const task_def& task) override;
  [[nodiscard]] caf::expected<build_result> compile(const task_def& task, const std::string& source,
                                                    const std::string& cand_id) const override;
  [[nodiscard]] caf::expected<verdict> run(const task_def& task, const build_result& compiled) override;
  void discard(const build_result& compiled) const override;

  /// The configuration.
  [[nodiscard]] const kernelbench_config& config() const noexcept { return config_; }

 private:
  /// The JSON result of one harness run, or why there is none.
  struct outcome {
    std::string json;     ///< the result record's payload
    std::string problem;  ///< empty when the channel was intact
    exit_report report;
  };
  [[nodiscard]] caf::expected<outcome> execute(const std::string& mode, const task_def& task,
                                               const std::filesystem::path& dir, bool build) const;
  [[nodiscard]] caf::expected<std::filesystem::path> harness_path() const;

  kernelbench_config config_;
  std::string signature_;
  std::map<std::string, std::pair<std::string, timing_stats>> references_;  ///< by task id: definition hash,
                                                                           ///< timing (the run stage only)
};

/// Parses a kernelbench harness channel: exactly one result record (type 10)
/// and the end record, both with `nonce`. Returns the JSON payload. Errors:
/// errc::io_failed whose context completes "the result channel ...".
[[nodiscard]] caf::expected<std::string> parse_kernelbench_channel(std::string_view bytes,
                                                                   const std::array<uint8_t, 16>& nonce);

}  // namespace kforge::hardware
