#pragma once

#include "hardware/backend.hpp"
#include "runtime/config.hpp"

#include <memory>

namespace kforge::runtime {

/// Makes the backend for the config's device, with its build directory at
/// `work_dir`. Errors: errc::bad_config (unknown device), errc::io_failed.
[[nodiscard]] caf::expected<std::shared_ptr<hardware::backend>> make_backend(
    const campaign_config& cfg, const std::filesystem::path& work_dir);

}  // namespace kforge::runtime
