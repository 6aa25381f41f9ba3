#pragma once

// A backend that implements the real hardware::backend interface without a compiler or a
// device: scripted results for prepare, compile and run, and a record of every call. The
// verifier pool drives it like the CPU backend, so interface drift fails to compile.

#include "hardware/backend.hpp"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace kforge::test {

/// A scripted backend. The scripts are set before the pool starts and not changed while it
/// runs; the call record is guarded, so a pool with detached workers may use it too.
class fake_backend : public hardware::backend {
 public:
  /// Reference preparation, the timed run (run_reference): by default a reference timed at 1000 ns.
  std::function<caf::expected<kforge::timing_stats>(const kforge::task_def&)> on_prepare;
  /// Reference preparation, the build (build_reference): by default nothing to build, and a
  /// cache entry this fake made (run_reference's `cache`) restores the task.
  std::function<caf::expected<hardware::reference_build>(const kforge::task_def&, const std::string& cached)>
      on_build;
  /// Compile: by default a binary named after the candidate id ("bin/<cand>").
  std::function<caf::expected<hardware::build_result>(const kforge::task_def&, const std::string& source,
                                                      const std::string& cand_id)>
      on_compile;
  /// Run: by default a feasible verdict timed at 500 ns.
  std::function<caf::expected<kforge::verdict>(const kforge::task_def&, const hardware::build_result&)>
      on_run;

  /// A fake for `device`.
  explicit fake_backend(std::string device = "cpu");

  [[nodiscard]] std::string device() const override;
  [[nodiscard]] std::string build_signature() const override;
  /// Fails a source that contains "HACK" (recorded as "hack <task>").
  [[nodiscard]] kforge::gate_result hack_check(const kforge::task_def& task,
                                               const std::string& source) const override;
  [[nodiscard]] caf::expected<hardware::reference_build> build_reference(const kforge::task_def& task,
                                                                         const std::string& cached) override;
  [[nodiscard]] caf::expected<hardware::reference_run> run_reference(
      const kforge::task_def& task, const hardware::reference_build& built) override;
  [[nodiscard]] caf::expected<hardware::build_result> compile(const kforge::task_def& task,
                                                              const std::string& source,
                                                              const std::string& cand_id) const override;
  [[nodiscard]] caf::expected<kforge::verdict> run(const kforge::task_def& task,
                                                   const hardware::build_result& compiled) override;
  void discard(const hardware::build_result& compiled) const override;

  /// Every call so far, in order: "hack <task>", "build <task>" (build_reference without a cache entry),
  /// "restore <task>" (with one), "prepare <task>" (run_reference), "compile <task> <cand>",
  /// "run <task> <binary>", "discard <binary>".
  [[nodiscard]] std::vector<std::string> calls() const;

  /// How many recorded calls start with `prefix` (e.g. "compile ").
  [[nodiscard]] size_t count(const std::string& prefix) const;

 private:
  void note(std::string call) const;

  std::string device_;
  mutable std::mutex mutex_;
  mutable std::vector<std::string> calls_;
};

}  // namespace kforge::test
