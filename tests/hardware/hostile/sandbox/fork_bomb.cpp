// Hostile: a fork bomb. Every child forks forever; the first process says how
// many children it got before the kernel refused a fork, then keeps trying.
// Expected: RLIMIT_NPROC caps the count, the wall-clock limit ends it, and
// nothing is left afterwards.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main() {
  int made = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      for (;;)
        fork();
    }
    if (pid > 0) {
      ++made;
      continue;
    }
    std::printf("fork refused after %d: %s\n", made, std::strerror(errno));
    std::fflush(stdout);
    for (;;)
      fork();
  }
}
