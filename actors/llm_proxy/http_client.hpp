#pragma once

// An asynchronous HTTP/1.1 client (Boost.Beast) with its own io_context
// thread. One session object per connection; every step has a deadline.
// Completion callbacks run on the io thread: callers pass a callback that
// only sends a message (the proxy actor's state is never touched there).
// HTTPS verifies the server's certificate chain (system store plus an
// optional CA file) and its host name, and sends SNI.

#include "actors/llm_proxy/openai_protocol.hpp"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kforge::actors {

/// One POST request.
struct http_request_spec {
  url_parts url;
  std::string ca_file;  ///< extra trusted CAs (PEM) for https; empty = system store only
  std::string path;     ///< request target, e.g. "/v1/chat/completions"
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_ms = 60000;  ///< whole exchange: resolve, connect, handshake, write, read
  std::size_t body_limit = std::size_t{4} << 20;  ///< a larger response ends the read: `oversized`
};

/// Where the proxy sends its HTTP requests: the real client, or a test's scripted transport.
/// post() may be called from the proxy actor only; `done` may run on any thread (also inside
/// post), once, and must only send a message.
class http_transport {
 public:
  virtual ~http_transport() = default;

  /// Sends `spec` and calls `done` once with what came back.
  virtual void post(http_request_spec spec, std::function<void(http_exchange)> done) = 0;
};

/// Thread-safe front of the io thread. Destruction stops the thread; callbacks of
/// requests still in flight then never run.
class http_client final : public http_transport {
 public:
  /// Starts the io thread.
  http_client();
  ~http_client() override;
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Checks that a TLS context trusting `ca_file` (plus the system store) can be made.
  /// Errors: errc::bad_config naming the file.
  [[nodiscard]] caf::error check_tls(const std::string& ca_file);

  /// Sends `spec` and calls `done` once, on the io thread, with what came back.
  void post(http_request_spec spec, std::function<void(http_exchange)> done) override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kforge::actors
