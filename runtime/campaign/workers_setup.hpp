#pragma once

// Issue 16: the coordinator's side of remote verifier workers under `kforge run`, and the
// helpers `kforge worker` shares with it (addresses, the secret).
//
//   start_coordinator: the worker router (the campaign's verifier: its own pool, if [workers]
//   local, and every worker that joins) and the worker registry, published with caf::io on
//   [workers] listen; logs "workers listening" with the bound port.

#include "actors/verifier/verifier_actor.hpp"
#include "actors/verifier/worker_registry.hpp"
#include "actors/verifier/worker_router.hpp"
#include "runtime/base/task.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace kforge::runtime {

/// "HOST:PORT" (or "[V6]:PORT") as host and port; port 0 asks the OS for a free one.
/// Errors: errc::bad_config saying what is wrong.
[[nodiscard]] caf::expected<std::pair<std::string, uint16_t>> parse_endpoint(const std::string& text);

/// True for an address that never leaves this machine: 127.0.0.0/8, ::1 and "localhost" (the
/// daemon's API runs there without a token; [workers] listen there without allow_plaintext).
[[nodiscard]] bool is_loopback(const std::string& address);

/// The secret in `file`, trailing whitespace removed. Errors: errc::io_failed (cannot read),
/// errc::bad_config (empty, or shorter than 16 characters). Warns once when the file is
/// readable by group or others.
[[nodiscard]] caf::expected<std::string> read_secret(const std::filesystem::path& file);

/// Loads CAF's middleman into `cfg`, and with `tls` libcaf_openssl's manager (anonymous TLS: the
/// channel is encrypted; peers prove themselves with the campaign secret, not certificates).
void load_network(caf::actor_system_config& cfg, bool tls);

/// A started coordinator.
struct coordinator {
  actors::worker_router_actor router;  ///< the campaign's verifier
  actors::worker_registry_actor registry;
  uint16_t port = 0;  ///< the bound port
};

/// "ADDR:PORT, TLS (workers only)": what `kforge run` and the daemon print once `w` listens on `port`.
[[nodiscard]] std::string listen_summary(const workers_settings& w, uint16_t port);

/// Starts the coordinator of `w` in `sys` (load_network with w.tls) over `tasks` (grown later by
/// load_atom to the router); `local` (may be null) is the coordinator's own pool, of device kind
/// `local_device`. Errors: those of read_secret; errc::io_failed when the address cannot be
/// published.
[[nodiscard]] caf::expected<coordinator> start_coordinator(caf::actor_system& sys, const workers_settings& w,
                                                           std::shared_ptr<const kforge::task_map> tasks,
                                                           actors::verifier_actor local = {},
                                                           const std::string& local_device = {});

}  // namespace kforge::runtime
