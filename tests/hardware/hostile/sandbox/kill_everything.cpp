// Hostile: sends SIGKILL to every process it may signal, to PID 1 and to its
// parent, then says it is still here. Expected: it can reach nothing outside
// its sandbox (kforge survives) and exits 0.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

void report(const char* what, int rc) {
  std::printf("%s: %s\n", what, rc == 0 ? "sent" : std::strerror(errno));
}

}  // namespace

int main() {
  report("kill(1)", kill(1, SIGKILL));
  report("kill(parent)", kill(getppid(), SIGKILL));
  report("kill(-1)", kill(-1, SIGKILL));
  std::printf("still here\n");
  return 0;
}
