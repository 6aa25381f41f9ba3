#include "runtime/base/rng.hpp"

#include <catch2/catch.hpp>

using namespace kforge;

TEST_CASE("splitmix64 gives the reference sequence, so inputs are the same on every machine", "[base]") {
  splitmix64 rng{0};
  CHECK(rng.next() == 0xe220a8397b1dcdafULL);
  CHECK(rng.next() == 0x6e789e6aa1b965f4ULL);
  splitmix64 other{0};
  for (int i = 0; i < 1000; ++i) {
    double u = other.unit();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
  }
}

TEST_CASE("Folding text into a seed depends on every byte and on their order", "[base]") {
  CHECK(mix64(7, "gemm") != mix64(7, "gemn"));
  CHECK(mix64(7, "ab") != mix64(7, "ba"));
  CHECK(mix64(7, "") == 7);
  CHECK(mix64(8, "a") == mix64(8 ^ 'a'));
}
