// Hostile: looks for secrets: prints its whole environment, then tries to
// read the environment of PID 1 and of its parent through /proc.
// Expected: no secret of kforge appears; /proc/1/environ is not readable.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace {

void dump(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    std::printf("%s: %s\n", path, std::strerror(errno));
    return;
  }
  char buf[8192];
  auto n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) {
    std::printf("%s: %s\n", path, std::strerror(errno));
    return;
  }
  for (ssize_t i = 0; i < n; ++i)
    buf[i] = buf[i] == '\0' ? '\n' : buf[i];
  buf[n] = '\0';
  std::printf("%s:\n%s\n", path, buf);
}

}  // namespace

int main() {
  for (char** e = environ; *e != nullptr; ++e)
    std::printf("env %s\n", *e);
  dump("/proc/1/environ");
  char parent[64];
  std::snprintf(parent, sizeof parent, "/proc/%d/environ", static_cast<int>(getppid()));
  dump(parent);
  return 0;
}
