#pragma once

#include "hardware/backend.hpp"
#include "hardware/native/cpu_backend.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kforge::hardware {

/// The CPU backend as the verifier pool drives it: wraps `cpu_backend` and
/// keeps each prepared task's reference data, set by run_reference (the run stage) or by
/// build_reference when it restores a cache entry (a compile worker), so guarded by a mutex.
class cpu_device final : public backend {
 public:
  /// Makes the device over a backend with `config`; `compiler_version` is what
  /// `cxx --version` printed (part of the build signature).
  explicit cpu_device(cpu_backend_config config, std::string compiler_version = {});

  [[nodiscard]] std::string device() const override { return impl_.config().device; }
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

 private:
  /// The reference data of `task` if it is prepared for its current definition, else null.
  [[nodiscard]] std::shared_ptr<const reference_data> reference_of(const task_def& task) const;
  /// Keeps `ref` as its task's reference data.
  void keep(reference_data ref);

  cpu_backend impl_;
  std::string signature_;
  mutable std::mutex mutex_;                                                 // guards references_
  std::map<std::string, std::shared_ptr<const reference_data>> references_;  // by task id
};

}  // namespace kforge::hardware
