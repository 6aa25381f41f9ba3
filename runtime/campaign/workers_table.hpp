#pragma once

// The [workers] table (issue 16), read the same way from a campaign config (`kforge run`
// coordinates) and from the daemon's config (the daemon coordinates for all its campaigns).

#include "runtime/base/toml_reader.hpp"
#include "runtime/campaign/config.hpp"

#include <filesystem>

namespace kforge::runtime {

/// Reads the [workers] table of `root` (absent: workers off) into `w`; a relative secret_file is
/// relative to `base`. Must run inside r.read(): a wrong key or value fails there with its line
/// (a non-loopback listen address without TLS and without allow_plaintext, no secret_file, a
/// deadline shorter than the heartbeat).
void parse_workers_table(const toml_reader& r, const toml_value& root, const std::filesystem::path& base,
                         workers_settings& w);

}  // namespace kforge::runtime
