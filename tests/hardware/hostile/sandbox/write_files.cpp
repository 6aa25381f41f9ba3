// Hostile: tries to create and write each path given after the marker
// (argv[2...]) and prints "<path>: written" or "<path>: <error>" per path.
// Expected: outside the sandbox's own directory nothing reaches the host:
// root's places refuse, read-only binds refuse, private tmpfs writes vanish.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
      std::printf("%s: %s\n", argv[i], std::strerror(errno));
      continue;
    }
    bool ok = write(fd, "pwned\n", 6) == 6;
    close(fd);
    std::printf("%s: %s\n", argv[i], ok ? "written" : std::strerror(errno));
  }
  return 0;
}
