// Hostile: tries to undo the private /tmp: unmount it directly, then again
// inside a user and mount namespace of its own (where it is "root"), and
// checks whether the host file named in argv[2] (without its leading '/', so
// that the sandbox does not show it on purpose) became visible.
// Expected: every unmount fails and the host file stays invisible.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

void report(const char* what, int rc) {
  std::printf("%s: %s\n", what, rc == 0 ? "done" : std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  report("umount /tmp", umount2("/tmp", MNT_DETACH));
  report("unshare", unshare(CLONE_NEWUSER | CLONE_NEWNS));
  report("umount /tmp in own namespace", umount2("/tmp", MNT_DETACH));
  if (argc > 2 && chdir("/") == 0)
    std::printf("host file: %s\n", access(argv[2], F_OK) == 0 ? "visible" : "invisible");
  return 0;
}
