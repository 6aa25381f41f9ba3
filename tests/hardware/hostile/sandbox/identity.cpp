// Probe (not hostile by itself): prints who and where it runs: uid, gid,
// supplementary groups, no_new_privs, allowed CPUs, visible processes, and
// whether setuid(0) works. The test checks each against the sandbox's promise.
#include <dirent.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main() {
  std::printf("uid=%d gid=%d\n", static_cast<int>(getuid()), static_cast<int>(getgid()));
  std::printf("groups=%d\n", getgroups(0, nullptr));
  std::printf("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  sched_getaffinity(0, sizeof cpus, &cpus);
  int first = -1;
  for (int c = 0; c < CPU_SETSIZE && first < 0; ++c)
    first = CPU_ISSET(c, &cpus) ? c : -1;
  std::printf("cpus=%d first=%d\n", CPU_COUNT(&cpus), first);
  int pids = 0;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* e = readdir(proc))
      pids += e->d_name[0] >= '0' && e->d_name[0] <= '9' ? 1 : 0;
    closedir(proc);
  }
  std::printf("pids=%d\n", pids);
  std::printf("setuid0=%s\n", setuid(0) == 0 ? "done" : std::strerror(errno));
  return 0;
}
