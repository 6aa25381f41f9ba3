// Hostile: tries to reach the network: TCP to 127.0.0.1:<argv[2]> (a port the
// test listens on), TCP to 1.1.1.1:53 and UDP to 8.8.8.8:53. Prints one line
// per try; exits 1 if any got through. Expected: all fail (no network).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool try_reach(const char* what, int type, const char* ip, int port) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) {
    std::printf("%s: socket: %s\n", what, std::strerror(errno));
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &addr.sin_addr);
  bool ok = false;
  if (type == SOCK_STREAM) {
    ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  } else {
    ok = sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 1;
  }
  std::printf("%s: %s\n", what, ok ? "connected" : std::strerror(errno));
  close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int port = argc > 2 ? std::atoi(argv[2]) : 80;
  bool any = try_reach("loopback", SOCK_STREAM, "127.0.0.1", port);
  any = try_reach("tcp-out", SOCK_STREAM, "1.1.1.1", 53) || any;
  any = try_reach("udp-out", SOCK_DGRAM, "8.8.8.8", 53) || any;
  return any ? 1 : 0;
}
