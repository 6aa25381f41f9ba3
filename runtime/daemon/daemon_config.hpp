#pragma once

// The daemon's own settings: the [daemon] table of an optional TOML file
// (README, "Running kforge as a service"), overridden by command-line flags.

#include "runtime/base/error.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace kforge::runtime {

/// Settings of `kforge daemon`. Paths are absolute once loaded.
struct daemon_config {
  std::filesystem::path campaigns;  ///< a campaign file, or a directory of *.toml campaign files
  std::filesystem::path store;      ///< the one store of all the daemon's campaigns
  int64_t store_map_mib = 1024;     ///< initial LMDB map size (grows on demand)
  std::string listen = "127.0.0.1";
  int32_t port = 8080;                         ///< 0 = any free port (logged and written to port_file)
  std::string token;                           ///< bearer token of the API; empty = from token_env
  std::string token_env = "KFORGE_API_TOKEN";  ///< environment variable holding the token
  std::filesystem::path static_dir;            ///< dashboard files; empty = built-in search
  std::filesystem::path snapshot_dir;          ///< where POST /api/snapshot writes; empty = <store>/snapshots
  std::filesystem::path port_file;             ///< if set, the bound port is written there
  int32_t poll_ms = 1000;                      ///< how often the campaign directory is scanned
  int32_t tick_ms = 500;                       ///< progress period of each campaign
  int64_t max_body_bytes = 64 * 1024;          ///< larger request bodies get 413
  int32_t request_timeout_s = 30;              ///< deadline of every HTTP read and write
  int32_t max_connections = 512;               ///< open connections beyond this are refused
  int64_t threads = 0;                         ///< scheduler threads (0 = cores, at least 2)
  double stall_minutes = 30;  ///< dashboard stall warning: no task improved this long; 0 = off
  /// The [workers] table: remote verifier workers join the daemon there and verify for every
  /// campaign it runs (a campaign file of the daemon has no [workers] of its own).
  workers_settings workers;
};

/// Reads the [daemon] table of `file` over the defaults. Errors: errc::bad_config (file:line).
[[nodiscard]] caf::expected<daemon_config> load_daemon_config(const std::filesystem::path& file);

/// Parses [daemon] from `text`; `name` is used in error messages and to resolve relative paths.
[[nodiscard]] caf::expected<daemon_config> parse_daemon_config(const std::string& text,
                                                               const std::filesystem::path& name);

/// The address the API listens on: an IPv4 or IPv6 address (brackets, as in "[::1]", dropped) or
/// "localhost". Errors: errc::bad_config saying what an address looks like.
[[nodiscard]] caf::expected<std::string> listen_address(const std::string& text);

// is_loopback (127.0.0.0/8, ::1, "localhost": where the API may run without a token) lives in
// runtime/campaign/workers_setup.hpp, shared with [workers] listen.

/// Fills derived settings (token from the environment, snapshot dir) and checks them: the listen
/// address must be one (listen_address), and a non-loopback one needs a token. Errors: errc::bad_config.
[[nodiscard]] caf::error finish_daemon_config(daemon_config& cfg);

}  // namespace kforge::runtime
