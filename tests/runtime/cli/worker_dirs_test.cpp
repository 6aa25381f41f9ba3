// A worker that was SIGKILLed leaves its default work directory behind; the next worker that
// starts removes those of processes that are gone, and only those.

#include "runtime/cli/commands.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace kforge;

namespace {

// The id of a process that has exited and been reaped.
pid_t dead_pid() {
  pid_t child = ::fork();
  if (child == 0)
    ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

std::filesystem::path worker_dir(const test::temp_dir& parent, const std::string& suffix) {
  auto dir = parent.path() / ("kforge-worker-" + suffix);
  std::filesystem::create_directories(dir / "pch");
  std::ofstream{dir / "pch" / "h.gch"} << "precompiled";
  return dir;
}

}  // namespace

TEST_CASE("a starting worker removes the work directories of workers that are gone, and no other",
          "[runtime]") {
  test::temp_dir parent{"worker-dirs"};
  auto gone = worker_dir(parent, std::to_string(dead_pid()));
  auto mine = worker_dir(parent, std::to_string(::getpid()));
  auto parents = worker_dir(parent, std::to_string(::getppid()));  // alive: whoever it is
  auto odd = worker_dir(parent, "12ab");
  auto other = parent.path() / "kforge-test-keep";
  std::filesystem::create_directories(other);
  auto file = parent.path() / ("kforge-worker-" + std::to_string(dead_pid()));
  std::ofstream{file} << "a file, not a work directory";

  CHECK(runtime::remove_dead_worker_dirs(parent.path()) == 1);
  CHECK_FALSE(std::filesystem::exists(gone));
  CHECK(std::filesystem::exists(mine / "pch" / "h.gch"));
  CHECK(std::filesystem::exists(parents));
  CHECK(std::filesystem::exists(odd));
  CHECK(std::filesystem::exists(other));
  CHECK(std::filesystem::exists(file));
  CHECK(runtime::remove_dead_worker_dirs(parent.path()) == 0);
  CHECK(runtime::remove_dead_worker_dirs(parent.path() / "missing") == 0);
}
