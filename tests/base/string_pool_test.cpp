#include "runtime/base/string_pool.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

using kforge::string_pool;

TEST_CASE("A string pool gives each distinct string one id, for good", "[base]") {
  string_pool pool;
  CHECK(pool.lookup("a") == string_pool::npos);
  auto empty = pool.intern("");
  auto a = pool.intern("a");
  CHECK(pool.intern("a") == a);
  CHECK(pool.intern("") == empty);
  CHECK(a != empty);
  CHECK(pool.view(empty).empty());
  CHECK(pool.view(a) == "a");
  std::string nul{"x\0y", 3};  // any bytes
  auto n = pool.intern(nul);
  CHECK(pool.view(n) == nul);
  CHECK(pool.lookup(std::string{"x"}) == string_pool::npos);

  // Many strings, through table growth: every id keeps its string and lookup finds it.
  std::mt19937_64 rng{7};
  std::map<std::string, uint32_t> seen;
  for (int i = 0; i < 20000; ++i) {
    auto s = std::to_string(rng() % 5000) + "-" + std::string(rng() % 70, 'k');
    auto id = pool.intern(s);
    auto [it, added] = seen.emplace(s, id);
    CHECK(it->second == id);
    (void)added;
  }
  CHECK(pool.size() == seen.size() + 3);
  for (const auto& [s, id] : seen) {
    CHECK(pool.view(id) == s);
    CHECK(pool.lookup(s) == id);
  }
  kforge::by_pooled_string order{&pool};
  CHECK(order(pool.lookup("a"), n) == (std::string{"a"} < nul));
}
