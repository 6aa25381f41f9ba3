#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace kforge::test {

namespace {

// Parses status line, headers and a Content-Length body out of `data`; false if incomplete.
bool parse(const std::string& data, http_reply& out) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string::npos)
    return false;
  auto line_end = data.find("\r\n");
  auto status_line = data.substr(0, line_end);
  auto sp = status_line.find(' ');
  if (sp == std::string::npos)
    return false;
  out.status = std::atoi(status_line.c_str() + sp + 1);
  size_t at = line_end + 2;
  while (at < end) {
    auto next = data.find("\r\n", at);
    auto line = data.substr(at, next - at);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      out.headers[name] = value;
    }
    at = next + 2;
  }
  size_t length = 0;
  if (auto it = out.headers.find("content-length"); it != out.headers.end())
    length = static_cast<size_t>(std::stoull(it->second));
  if (data.size() < end + 4 + length)
    return false;
  out.body = data.substr(end + 4, length);
  return true;
}

}  // namespace

http_reply http_raw(uint16_t port, const std::string& raw, int timeout_ms) {
  http_reply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return reply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) !=
      0) {  // NOLINT(*-reinterpret-cast): sockets API
    ::close(fd);
    return reply;
  }
  size_t sent = 0;
  while (sent < raw.size()) {
    auto n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;  // the server may answer (413) and close before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string data;
  char buf[8192];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0)
      break;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    data.append(buf, static_cast<size_t>(n));
    if (parse(data, reply))
      break;
  }
  ::close(fd);
  if (!parse(data, reply))
    reply.status = 0;
  return reply;
}

http_reply http_call(uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body, const std::string& token) {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty())
    raw += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST")
    raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  raw += "\r\n" + body;
  return http_raw(port, raw);
}

}  // namespace kforge::test
