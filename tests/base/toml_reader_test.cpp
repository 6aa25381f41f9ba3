#include "runtime/base/toml_reader.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace kforge;

namespace {

struct limits {
  int64_t count = 1;
  double share = 0.5;
  std::vector<double> sizes;
  std::string name;
};

caf::expected<limits> read(const std::string& text) {
  toml_reader r{"/cfg/limits.toml"};
  return r.read(text, errc::bad_config, [&](const toml_value& root) {
    limits out;
    const auto& t = toml_reader::table_or_empty(root, "limits");
    r.only(t, "limits", {"count", "share", "sizes", "name"});
    r.positive(t, "count", out.count);
    r.fraction(t, "share", out.share);
    r.numbers(t, "sizes", out.sizes);
    r.get(t, "name", out.name);
    return out;
  });
}

std::string error_of(const std::string& text) {
  auto got = read(text);
  REQUIRE_FALSE(got);
  return describe(got.error());
}

}  // namespace

TEST_CASE("The TOML reader reads what it is asked and defaults the rest", "[base]") {
  auto got = read("[limits]\ncount = 3\nshare = 1\nsizes = [1, 2.5]\n");
  REQUIRE(got);
  CHECK(got->count == 3);
  CHECK(got->share == 1.0);  // an integer where a number is wanted
  CHECK(got->sizes == std::vector<double>{1.0, 2.5});
  CHECK(got->name.empty());
  auto empty = read("");
  REQUIRE(empty);
  CHECK(empty->count == 1);
}

TEST_CASE("Every TOML reader error names the file, the line and the problem", "[base]") {
  SECTION("a syntax error") {
    auto msg = error_of("[limits]\ncount = [1,\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/limits.toml:"));
    CHECK_THAT(msg, Catch::Contains("syntax error"));
  }
  SECTION("an unknown key, the first in key order") {
    auto msg = error_of("[limits]\nzeta = 1\nalpha = 2\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/limits.toml:3: unknown key 'alpha' in [limits]"));
  }
  SECTION("a wrong type says what was wanted and what came") {
    auto msg = error_of("[limits]\n\nname = 7\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/limits.toml:3: key 'name' must be a string, not an integer"));
  }
  SECTION("out of range") {
    CHECK_THAT(error_of("[limits]\ncount = 0\n"), Catch::Contains(":2: key 'count' must be positive"));
    CHECK_THAT(error_of("[limits]\nshare = 1.5\n"),
               Catch::Contains(":2: key 'share' must be between 0 and 1"));
  }
  SECTION("a list with a string in it") {
    CHECK_THAT(error_of("[limits]\nsizes = [1, \"two\"]\n"),
               Catch::Contains("key 'sizes' must be a list of numbers"));
  }
  SECTION("a table that is not one") {
    CHECK_THAT(error_of("limits = 3\n"), Catch::Contains("/cfg/limits.toml:1: 'limits' must be a table"));
  }
}

TEST_CASE("The TOML reader returns an error a checking function returns", "[base]") {
  toml_reader r{"f.toml"};
  auto got = r.read("x = 1\n", errc::bad_task, [](const toml_value&) -> caf::expected<int> {
    return make_error(errc::bad_task, "f.toml: refused");
  });
  REQUIRE_FALSE(got);
  CHECK(describe(got.error()) == "bad_task: f.toml: refused");
}

TEST_CASE("Slurping a missing file or a directory says which and why", "[base]") {
  auto missing = toml_reader::slurp("/nonexistent/kforge.toml", errc::bad_config, "the config file");
  REQUIRE_FALSE(missing);
  CHECK(describe(missing.error()) == "bad_config: /nonexistent/kforge.toml: cannot open the config file");
  auto dir = toml_reader::slurp("/", errc::bad_config, "the config file");
  REQUIRE_FALSE(dir);
  CHECK_THAT(describe(dir.error()), Catch::Contains("it is a directory"));
}
