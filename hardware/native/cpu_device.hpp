#pragma once

#include "hardware/backend.hpp"
#include "hardware/native/cpu_backend.hpp"

#include <map>
#include <string>

namespace kforge::hardware {

/// The CPU backend as the verifier pool drives it: wraps `cpu_backend` and
/// keeps each prepared task's reference data (touched by the run stage only,
/// per the `backend` threading contract).
class cpu_device final : public backend {
 public:
  /// Makes the device over a backend with `config`; `compiler_version` is what
  /// `cxx --version` printed (part of the build signature).
  explicit cpu_device(cpu_backend_config config, std::string compiler_version = {});

  [[nodiscard]] std::string device() const override { return impl_.config().device; }
  [[nodiscard]] std::string build_signature() const override { return signature_; }
  [[nodiscard]] gate_result hack_check(const task_def& task, const std::string& source) const override;
  [[nodiscard]] caf::expected<timing_stats> prepare(const task_def& task) override;
  [[nodiscard]] caf::expected<build_result> compile(const task_def& task, const std::string& source,
                                                    const std::string& cand_id) const override;
  [[nodiscard]] caf::expected<verdict> run(const task_def& task, const build_result& compiled) override;
  void discard(const build_result& compiled) const override;

 private:
  cpu_backend impl_;
  std::string signature_;
  std::map<std::string, reference_data> references_;  // by task id
};

}  // namespace kforge::hardware
