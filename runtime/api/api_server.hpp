#pragma once

// The daemon's HTTP server (Boost.Beast): one io_context on its own thread,
// one session per connection, a deadline on every read and write, request
// bodies capped, keep-alive. It turns each request into an api_request, asks
// the handler (normally handle_request of api_router.hpp) and writes the
// answer. Handlers never touch actor state; the daemon's hooks send messages.
//
//   io thread:     accept -> read -> handler -> write          (every request but slow ones)
//                                 \-> slow? --post--> worker thread: handler
//   io thread:     write <--post-- answer --------------------/
//
// Slow requests (a snapshot copies the whole store) run on one worker thread,
// so the API keeps answering meanwhile; one at a time: another slow request
// while one runs gets 409 at once.

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
  /// Names the slow work a request starts, or "" to answer it on the io thread. Called on the io
  /// thread; empty = nothing is slow.
  std::function<std::string(const api_request&)> slow_work = slow_request_kind;
};

/// Answers one request; called on the server's io thread, and on its worker thread for slow
/// requests (never two slow ones at once), so it must be thread-safe.
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

  /// Stops accepting, drops open connections and joins the threads; a slow request in progress
  /// runs to its end first. Idempotent; any thread but the server's.
  void stop();

  struct impl;

 private:
  explicit api_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace kforge::runtime
