#pragma once

// The daemon's HTTP server (Boost.Beast): one io_context on its own thread,
// one session per connection, a deadline on every read and write, request
// bodies capped, keep-alive. It turns each request into an api_request, asks
// the handler (normally handle_request of api_router.hpp, on this thread) and
// writes the answer. Handlers never touch actor state; the daemon's hooks send
// messages.

#include "runtime/api/api_router.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace kforge::runtime {

/// Settings of the server.
struct api_server_options {
  std::string address = "127.0.0.1";
  uint16_t port = 0;                    ///< 0 = any free port; port() tells which
  size_t max_body_bytes = 64 * 1024;    ///< larger bodies get 413 and the connection closes
  size_t max_header_bytes = 16 * 1024;  ///< larger headers get 431
  std::chrono::seconds timeout{30};     ///< deadline of each read and write
  size_t max_connections = 512;         ///< beyond this, new connections get 503 and close
};

/// Answers one request; called on the server thread only.
using api_handler = std::function<api_response(const api_request&)>;

/// A running server. Stops and joins its thread on destruction. Not copyable or movable.
class api_server {
 public:
  /// Binds, listens and starts the server thread. Errors: errc::io_failed (names address:port).
  [[nodiscard]] static caf::expected<std::unique_ptr<api_server>> start(api_server_options opts,
                                                                        api_handler handler);
  ~api_server();
  api_server(const api_server&) = delete;
  api_server& operator=(const api_server&) = delete;

  /// The port the server listens on.
  [[nodiscard]] uint16_t port() const noexcept;

  /// Stops accepting, drops open connections and joins the thread. Idempotent; any thread but the server's.
  void stop();

  struct impl;

 private:
  explicit api_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace kforge::runtime
