#pragma once

#include "hardware/backend.hpp"
#include "runtime/campaign/config.hpp"

#include <memory>
#include <vector>

namespace kforge::runtime {

/// Makes the backend for the config's device, with its build directory at
/// `work_dir`. Errors: errc::bad_config (unknown device), errc::io_failed.
[[nodiscard]] caf::expected<std::shared_ptr<hardware::backend>> make_backend(
    const campaign_config& cfg, const std::filesystem::path& work_dir);

/// Issue 7: the backends of the config's device: one, or with device
/// "cuda:all" one per GPU found (each with its own build directory
/// work_dir/cudaN). Errors: those of make_backend; errc::bad_config when
/// "cuda:all" finds no GPU.
[[nodiscard]] caf::expected<std::vector<std::shared_ptr<hardware::backend>>> make_backends(
    const campaign_config& cfg, const std::filesystem::path& work_dir);

}  // namespace kforge::runtime
