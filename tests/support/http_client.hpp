#pragma once

// A minimal blocking HTTP/1.1 client over POSIX sockets for tests of the API
// server and the daemon (no Beast in test code: it keeps test builds fast).

#include <cstdint>
#include <map>
#include <string>

namespace kforge::test {

/// A parsed response; status 0 when the connection failed or closed without one.
struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
};

/// Sends `raw` (a whole request, as bytes) to 127.0.0.1:`port` and reads one response.
[[nodiscard]] http_reply http_raw(uint16_t port, const std::string& raw, int timeout_ms = 10000);

/// Sends one request with "Connection: close"; `token` adds "Authorization: Bearer <token>".
[[nodiscard]] http_reply http_call(uint16_t port, const std::string& method, const std::string& target,
                                   const std::string& body = "", const std::string& token = "");

}  // namespace kforge::test
