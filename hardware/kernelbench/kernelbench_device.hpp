#pragma once

// The kernelbench backend for one GPU. It runs candidates by the KernelBench
// protocol in the trusted Python harness (harness.py) inside kforge's sandbox
// with the GPU visible: the same seed for both models' weights, 5 correctness
// trials on fresh inputs, atol = rtol = 1e-4 for fp32 and 1e-2 for fp16/bf16,
// an output shape check, CUDA events around each of 100 timed runs after 3
// warm-ups with the L2 flushed (a 256 MiB write) before each. Reference
// outputs are computed before the candidate module is imported; after each
// candidate call only the current stream is synchronized, and an output that
// still changes once the whole device is synchronized is work on a side
// stream: wrong.

#include "hardware/backend.hpp"
#include "hardware/kernelbench/python_gate_run.hpp"
#include "hardware/sandbox/subprocess.hpp"
#include "runtime/base/task.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kforge::hardware {

/// Settings of the kernelbench backend.
struct kernelbench_config {
  std::string python = "python3";       ///< the interpreter with torch (absolute path once resolved)
  std::string gate_python = "python3";  ///< the interpreter of the gate's parser (any Python 3.9+)
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
  /// A ModelNew that launches no kernel of its own (forward calls only torch ops, every call into
  /// its extension sits in a try that falls back, or no extension function ran in a trial) gets
  /// the `bypass` verdict; false lets it be judged like any other candidate.
  bool reject_bypass = true;
  /// Judging beyond allclose (the harness's rules, README "KernelBench harness"): the largest
  /// relative L2 error ||out - ref|| / ||ref||, and the smallest ratio of the output's spread
  /// (standard deviation) to the reference's before an output counts as near-constant.
  double max_rel_l2 = 1e-2;
  double min_spread_ratio = 1e-3;
  int input_sets = 0;  ///< distinct input sets drawn while timed (0: one per trial)
  std::map<std::string, std::pair<double, double>> overrides;  ///< by task id: max_rel_l2, min_spread_ratio
};

/// The trusted harness's file under `work_dir` (kernelbench/harness-<hash>.py), written if it is
/// missing. Safe to call from several threads and processes at once: each writes a temporary file
/// of its own and renames it into place. Errors: errc::io_failed naming the path.
[[nodiscard]] caf::expected<std::filesystem::path> place_harness(const std::filesystem::path& work_dir);

/// The kernelbench backend for one GPU.
class kernelbench_device final : public backend {
 public:
  explicit kernelbench_device(kernelbench_config config);

  [[nodiscard]] std::string device() const override { return config_.device; }
  [[nodiscard]] std::string build_signature() const override { return signature_; }
  [[nodiscard]] gate_result hack_check(const task_def& task, const std::string& source) const override;
  [[nodiscard]] caf::expected<reference_build> build_reference(const task_def& task,
                                                               const std::string& cached) override;
  [[nodiscard]] caf::expected<reference_run> run_reference(const task_def& task,
                                                           const reference_build& built) override;
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
  [[nodiscard]] python_gate_settings gate_settings() const;

  kernelbench_config config_;
  std::string signature_;
  std::map<std::string, std::pair<std::string, timing_stats>> references_;  ///< by task id: definition hash,
                                                                            ///< timing (the run stage only)
};

}  // namespace kforge::hardware
