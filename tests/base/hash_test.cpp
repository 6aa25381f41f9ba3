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
