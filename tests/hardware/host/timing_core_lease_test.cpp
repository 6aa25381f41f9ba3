#include "hardware/host/timing_core_lease.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

using namespace kforge;
using namespace kforge::hardware;

TEST_CASE("timing leases give each holder a core of its own until none is left", "[hardware][lease]") {
  test::temp_dir dir{"lease"};
  const std::vector<int> cores = {5, 3};
  auto a = timing_core_lease::acquire(cores, dir.path().string());
  auto b = timing_core_lease::acquire(cores, dir.path().string());
  CHECK(a.core() == 5);
  CHECK(b.core() == 3);
  CHECK_FALSE(a.shared());
  CHECK_FALSE(b.shared());
  CHECK(a.note().empty());

  // Every core held: the third shares the preferred one and says why.
  auto c = timing_core_lease::acquire(cores, dir.path().string());
  CHECK(c.core() == 5);
  CHECK(c.shared());
  CHECK(c.note().find("claimed") != std::string::npos);

  // A lease given back (destroyed, or moved from and reassigned) frees its core.
  { auto gone = std::move(a); }
  auto d = timing_core_lease::acquire(cores, dir.path().string());
  CHECK(d.core() == 5);
  CHECK_FALSE(d.shared());

  CHECK(timing_core_lease::acquire({}, dir.path().string()).core() == -1);
}

TEST_CASE("a timing lease held by another process is not taken", "[hardware][lease]") {
  test::temp_dir dir{"lease"};
  const std::vector<int> cores = {1, 0};
  int ready[2];
  int done[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(done) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto held = timing_core_lease::acquire(cores, dir.path().string());
    char c = static_cast<char>('0' + held.core());
    (void)!::write(ready[1], &c, 1);
    (void)!::read(done[0], &c, 1);  // hold the lease until the parent has tried
    ::_exit(0);
  }
  char child_core = 0;
  REQUIRE(::read(ready[0], &child_core, 1) == 1);
  CHECK(child_core == '1');
  auto mine = timing_core_lease::acquire(cores, dir.path().string());
  CHECK(mine.core() == 0);
  CHECK_FALSE(mine.shared());
  (void)!::write(done[1], "x", 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  for (int fd : {ready[0], ready[1], done[0], done[1]})
    ::close(fd);
  // The child exited: its core is free again (the kernel ended its claim).
  auto after = timing_core_lease::acquire(cores, dir.path().string());
  CHECK(after.core() == 1);
  CHECK_FALSE(after.shared());
}

TEST_CASE("where claims cannot be made the lease shares and says why", "[hardware][lease]") {
  auto lease = timing_core_lease::acquire({2, 1}, "/nonexistent/kforge-lease-dir");
  CHECK(lease.core() == 2);
  CHECK(lease.shared());
  CHECK(lease.note().find("/nonexistent/kforge-lease-dir") != std::string::npos);
}

TEST_CASE("default timing cores are the allowed ones from the last down", "[hardware][lease]") {
  auto allowed = allowed_cores();
  REQUIRE_FALSE(allowed.empty());
  auto preferred = default_timing_cores();
  if (allowed.size() < 2) {
    CHECK(preferred.empty());
    return;
  }
  REQUIRE(preferred.size() == allowed.size());
  CHECK(preferred.front() == allowed.back());
  CHECK(preferred.back() == allowed.front());
}
