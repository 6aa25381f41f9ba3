// Hostile: starts threads that never end, then leaves main with pthread_exit,
// so the process lives on. Expected: killed at the wall-clock limit.
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

int main() {
  for (int i = 0; i < 8; ++i) {
    std::thread([] {
      for (;;)
        pause();
    }).detach();
  }
  std::printf("main leaves\n");
  std::fflush(stdout);
  pthread_exit(nullptr);
}
