// Hostile: tries to read each path given after the marker (argv[2...]), such
// as the store's data.mdb, and prints "<path>: read N bytes" or "<path>:
// <error>". Exits 1 if it could read any. Expected: every open fails.
// Paths come without their leading '/': the sandbox shows absolute paths in
// argv to the program (kforge names its own files there), and these must not be.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int leaked = 0;
  int root = open("/", O_RDONLY | O_DIRECTORY);
  for (int i = 2; i < argc; ++i) {
    int fd = openat(root, argv[i], O_RDONLY);
    if (fd < 0) {
      std::printf("/%s: %s\n", argv[i], std::strerror(errno));
      continue;
    }
    char buf[4096];
    auto n = read(fd, buf, sizeof buf);
    close(fd);
    std::printf("/%s: read %zd bytes\n", argv[i], n);
    leaked = 1;
  }
  return leaked;
}
