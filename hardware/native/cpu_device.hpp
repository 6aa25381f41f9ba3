#pragma once

#include "hardware/backend.hpp"
#include "hardware/native/cpu_backend.hpp"

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace kforge::hardware {

/// The CPU backend as the verifier pool drives it: wraps `cpu_backend` and
/// keeps each prepared task's reference data, set by run_reference (the run stage) or by
/// build_reference when it restores a cache entry (a compile worker), so guarded by a mutex.
///
/// A reference's inputs and outputs are megabytes, and hundreds of tasks are prepared at once: in
/// memory are only the most recently used, up to `reference_memory_bytes`; every prepared reference
/// is also written (encoded as for the store's cache) to work_dir/tasks/<id>/reference-<hash>.bin and
/// read back from there when a candidate of its task runs after it was dropped. (A process that
/// forks for every compile and run must stay small: fork copies its page tables.)
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

  /// Prepared references held in memory now, and their inputs' and outputs' bytes.
  [[nodiscard]] std::pair<std::size_t, int64_t> references_in_memory() const;

 private:
  /// The reference data of `task` if it is prepared for its current definition (in memory, or read
  /// back from its file), else null.
  [[nodiscard]] std::shared_ptr<const reference_data> reference_of(const task_def& task) const;
  /// Keeps `ref` as its task's reference data; `encoded` is its cache encoding, written to its file.
  void keep(reference_data ref, const std::string& encoded);
  /// Puts `ref` in memory as its task's, dropping the least recently used beyond the budget.
  void remember(const std::shared_ptr<const reference_data>& ref) const;
  /// work_dir/tasks/<id>/reference-<hash>.bin, the hash over the definition and the build signature.
  [[nodiscard]] std::filesystem::path reference_file(const task_def& task) const;

  struct held {
    std::shared_ptr<const reference_data> ref;
    std::list<std::string>::iterator use;  // its place in uses_
    int64_t bytes = 0;
  };

  cpu_backend impl_;
  std::string signature_;
  mutable std::mutex mutex_;                       // guards the three below
  mutable std::map<std::string, held> in_memory_;  // by task id
  mutable std::list<std::string> uses_;            // task ids, most recently used first
  mutable int64_t bytes_ = 0;                      // inputs and outputs held in in_memory_
  mutable std::set<std::string> on_disk_;          // task ids whose reference file was written
};

}  // namespace kforge::hardware
