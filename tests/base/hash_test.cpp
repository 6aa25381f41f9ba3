#include "runtime/base/hash.hpp"

#include <catch2/catch.hpp>

using namespace kforge;

TEST_CASE("SHA-256 matches the published test vector", "[base]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("").size() == 64);
}

TEST_CASE("Content hashes length-prefix their parts so that splits differ", "[base]") {
  auto one = content_hasher{}.add("ab").add("c").finish();
  auto two = content_hasher{}.add("a").add("bc").finish();
  CHECK(one != two);
  CHECK(one == content_hasher{}.add("ab").add("c").finish());
  CHECK(short_id(one).size() == 12);
}

TEST_CASE("HMAC-SHA256 matches RFC 4231, comparisons take constant time, nonces are fresh", "[base]") {
  // RFC 4231, test case 2.
  CHECK(kforge::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(kforge::equal_in_constant_time("abc", "abc"));
  CHECK_FALSE(kforge::equal_in_constant_time("abc", "abd"));
  CHECK_FALSE(kforge::equal_in_constant_time("abc", "abcd"));
  auto a = kforge::random_hex(16);
  auto b = kforge::random_hex(16);
  CHECK(a.size() == 32);
  CHECK(a != b);
}
