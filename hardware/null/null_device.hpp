#pragma once

// The null device (`[verifier] device = "null"`): a benchmark and test device that compiles and
// runs nothing. Every verification is answered at once with a synthetic verdict derived from the
// source's hash, so a campaign on it measures kforge's orchestration alone (policy, retrieval,
// scheduling, commits), never a kernel. Its figures say nothing about any kernel.

#include "hardware/backend.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kforge::hardware {

/// The run-stage cost of device `spec` if it names the null device: "null" (0 ms) or
/// "null:sleep=MS" (each candidate's run holds the run stage MS milliseconds, a fixed-cost device
/// for benchmarks of scheduling and of remote workers); nullopt for any other device or a bad MS.
[[nodiscard]] std::optional<int64_t> null_sleep_ms(const std::string& spec);

/// Synthetic verdicts: about 1 in 10 sources fails correctness; the others are timed at
/// reference x [0.5, 2.0), deterministic in the source. The reference is 100 us x the task's
/// flops + bytes scaled to 1 at 1 MFLOP (at least 1 us).
class null_device final : public backend {
 public:
  /// A device whose run() first sleeps `sleep` (0: answers at once).
  explicit null_device(std::chrono::milliseconds sleep = std::chrono::milliseconds{0}) : sleep_(sleep) {}

  [[nodiscard]] std::string device() const override { return "null"; }
  [[nodiscard]] std::string build_signature() const override { return "null device v1"; }
  [[nodiscard]] gate_result hack_check(const task_def& task, const std::string& source) const override;
  [[nodiscard]] caf::expected<reference_build> build_reference(const task_def& task,
                                                               const std::string& cached) override;
  [[nodiscard]] caf::expected<reference_run> run_reference(const task_def& task,
                                                           const reference_build& built) override;
  [[nodiscard]] caf::expected<build_result> compile(const task_def& task, const std::string& source,
                                                    const std::string& cand_id) const override;
  [[nodiscard]] caf::expected<verdict> run(const task_def& task, const build_result& compiled) override;
  void discard(const build_result& compiled) const override;
  /// Only a device that sleeps blocks: "null" answers on the caller's thread.
  [[nodiscard]] bool blocks() const override { return sleep_.count() > 0; }

  /// The reference timing the device reports for `task`.
  [[nodiscard]] static timing_stats reference_timing(const task_def& task);

 private:
  std::chrono::milliseconds sleep_;
};

}  // namespace kforge::hardware
