#include "hardware/sandbox/spawn_options.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <set>

using namespace kforge::hardware;

// Two kforge processes must never run programs as one uid: RLIMIT_NPROC counts per uid, so a fork
// bomb in one would starve the other. The pool is per process; the claim files make it machine-wide.
TEST_CASE("A uid leased by one process is not leased by another", "[hardware][sandbox]") {
  {
    auto probe = sandbox_user_lease::acquire();
    if (!probe.user() || probe.user()->uid < 0x70000000) {
      WARN("skipped: no uid pool here (kforge is not root, or the pool's uids are not mapped)");
      return;
    }
  }
  // The pool now exists in this process; the child inherits the same free list, so without the
  // machine-wide claim both would take the same first uid.
  int to_parent[2];
  int to_child[2];
  REQUIRE(::pipe(to_parent) == 0);
  REQUIRE(::pipe(to_child) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto lease = sandbox_user_lease::acquire();
    uid_t uid = lease.user() ? lease.user()->uid : 0;
    if (::write(to_parent[1], &uid, sizeof uid) != sizeof uid)
      ::_exit(1);
    char done = 0;
    static_cast<void>(::read(to_child[0], &done, 1));  // hold the lease until the parent has leased
    ::_exit(0);
  }
  uid_t child_uid = 0;
  REQUIRE(::read(to_parent[0], &child_uid, sizeof child_uid) == sizeof child_uid);
  std::set<uid_t> ours;
  {
    auto first = sandbox_user_lease::acquire();
    auto second = sandbox_user_lease::acquire();
    REQUIRE(first.user());
    REQUIRE(second.user());
    ours = {first.user()->uid, second.user()->uid};
  }
  char done = 1;
  REQUIRE(::write(to_child[1], &done, 1) == 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(child_uid >= 0x70000000);
  CHECK(ours.size() == 2);
  CHECK(ours.count(child_uid) == 0);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]})
    ::close(fd);

  // Once the child has exited its claim is gone: its uid is leasable here again.
  bool seen = false;
  std::vector<sandbox_user_lease> leases;
  for (int i = 0; i < 600 && !seen; ++i) {
    leases.push_back(sandbox_user_lease::acquire());
    seen = leases.back().user() && leases.back().user()->uid == child_uid;
  }
  CHECK(seen);
}
