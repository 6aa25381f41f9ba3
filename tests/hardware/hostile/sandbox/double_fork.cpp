// Hostile: leaves a grandchild in a new session (setsid, double fork) that
// sleeps forever, then exits 0. Expected: the grandchild dies with the run.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

int main() {
  pid_t child = fork();
  if (child == 0) {
    setsid();
    if (fork() == 0) {
      for (;;)
        pause();
    }
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  std::printf("detached\n");
  return 0;
}
