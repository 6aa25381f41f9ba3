// The owner lock of a campaign: one holder at a time, a probe that tells a live owner from none
// without taking the lock, and release when the holder goes.

#include "runtime/campaign/owner_lock.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <string>

using namespace kforge;
using namespace kforge::runtime;

TEST_CASE("a campaign's owner lock has one holder, named by pid, until it is released", "[runtime]") {
  test::temp_dir store{"owner"};
  CHECK_FALSE(owner_lock::probe(store.path(), "c").held);  // no file yet: no owner
  {
    auto first = owner_lock::acquire(store.path(), "c");
    REQUIRE(first);
    auto state = owner_lock::probe(store.path(), "c");
    CHECK(state.held);
    CHECK(state.pid == static_cast<int64_t>(::getpid()));
    std::string text;
    std::getline(std::ifstream{owner_lock::file_of(store.path(), "c")}, text);
    CHECK(text == std::to_string(::getpid()));

    auto second = owner_lock::acquire(store.path(), "c");
    REQUIRE_FALSE(second);
    CHECK_THAT(describe(second.error()),
               Catch::Contains("campaign c is already running in process " + std::to_string(::getpid())));
    // Another campaign of the same store has a lock of its own.
    auto other = owner_lock::acquire(store.path(), "d");
    CHECK(other);
    // A moved lock is still held.
    auto moved = std::move(*first);
    CHECK(owner_lock::probe(store.path(), "c").held);
  }
  CHECK_FALSE(owner_lock::probe(store.path(), "c").held);
  auto again = owner_lock::acquire(store.path(), "c");
  CHECK(again);
}
