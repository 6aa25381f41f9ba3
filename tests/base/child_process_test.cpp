// The end-to-end tests' child process: a hang ends in a failure with the output so far, and a
// grandchild that keeps the pipe open does not keep the reader waiting once the child exited.

#include "tests/support/child_process.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace kforge;

TEST_CASE("a child past its time limit is killed and its output says so", "[base]") {
  test::child_process child{{"/bin/sh", "-c", "echo one; exec sleep 60"}, "-", std::chrono::seconds{2}};
  CHECK(child.read_line() == std::optional<std::string>{"one"});
  auto last = child.read_line();
  REQUIRE(last);
  CHECK(*last == "[test] the child was killed: no end within its time limit");
  CHECK(child.timed_out());
  CHECK_FALSE(child.read_line());
  CHECK(child.wait() == 128 + 9);
}

TEST_CASE("the output ends when the child exits, though a grandchild holds the pipe", "[base]") {
  test::child_process child{{"/bin/sh", "-c", "echo a; sleep 60 & echo b"}, "-", std::chrono::seconds{30}};
  CHECK(child.read_to_end() == "a\nb\n");
  CHECK_FALSE(child.timed_out());
  CHECK(child.wait() == 0);
}
