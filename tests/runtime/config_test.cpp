#include "runtime/config.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::runtime;

namespace {

const char* good = R"(
[campaign]
name = "demo"
seed = 7
tasks = ["tasks/cpu/*.toml"]

[budget]
evaluations_per_task = 12
wall_minutes = 2.5

[verifier]
seeds = 3
cxx_flags = ["-O2"]

[store]
path = "../store"
)";

std::string error_of(const std::string& text) {
  auto cfg = parse_campaign_config(text, "/cfg/camp.toml");
  REQUIRE_FALSE(cfg);
  CHECK(code_of(cfg.error()) == errc::bad_config);
  return describe(cfg.error());
}

}  // namespace

TEST_CASE("a campaign config loads with defaults and paths relative to its file", "[runtime]") {
  auto cfg = parse_campaign_config(good, "/cfg/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->name == "demo");
  CHECK(cfg->seed == 7);
  CHECK(cfg->evaluations_per_task == 12);
  CHECK(cfg->wall_minutes == 2.5);
  CHECK(cfg->verifier.seeds == 3);
  CHECK(cfg->verifier.cxx_flags == std::vector<std::string>{"-O2"});
  CHECK(cfg->verifier.compile_jobs >= 1);
  CHECK(cfg->store_path == "/store");
  CHECK(cfg->policy == "offline");
  CHECK(cfg->evaluation_budget(4) == 48);
}

TEST_CASE("config errors name the file, the line and what is wrong", "[runtime]") {
  SECTION("syntax error") {
    auto msg = error_of("[campaign]\nname = \"x\"\ntasks = [\"a\"]\nseed = 1 2\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:4"));
    CHECK_THAT(msg, Catch::Contains("syntax error"));
  }
  SECTION("unknown key") {
    auto msg = error_of("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n\n[budget]\nevaluation = 3\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:6"));
    CHECK_THAT(msg, Catch::Contains("unknown key 'evaluation' in [budget]"));
  }
  SECTION("wrong type") {
    auto msg = error_of("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[verifier]\nseeds = \"two\"\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("'seeds' must be an integer"));
  }
  SECTION("out of range") {
    auto msg = error_of("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[memory]\nepsilon = 1.5\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("between 0 and 1"));
  }
  SECTION("missing table") {
    CHECK_THAT(error_of("[budget]\nplateau = 3\n"), Catch::Contains("missing required table [campaign]"));
  }
  SECTION("bad campaign name") {
    auto msg = error_of("[campaign]\nname = \"Big Name\"\ntasks = [\"a\"]\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:2"));
  }
  SECTION("unknown policy") {
    auto msg = error_of("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[policy]\nkind = \"magic\"\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("unknown policy 'magic'"));
  }
}

TEST_CASE("the memory, archive and machine keys of issue 4 load and are checked", "[runtime]") {
  auto cfg = parse_campaign_config(std::string{good} + R"(
[memory]
kb_items = 3
kb_temperature = 0.25
consolidate_every = 10
retire_below = -0.8
from = "../warm"

[archive]
best = 3
diverse = 5

[machine]
measure = false
peak_gbps = 30
working_sets_kib = [64, 1024.5]
efficiency_buckets = [0.1, 0.5]
)",
                                   "/cfg/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->memory.kb_items == 3);
  CHECK(cfg->memory.kb_temperature == 0.25);
  CHECK(cfg->memory.consolidate_every == 10);
  CHECK(cfg->memory.retire_below == -0.8);
  CHECK(cfg->memory.from == "/warm");
  CHECK(cfg->archive.best == 3);
  CHECK(cfg->archive.diverse == 5);
  CHECK_FALSE(cfg->machine.measure);
  CHECK(cfg->machine.peak_gbps == 30);
  CHECK(cfg->machine.working_sets_kib == std::vector<double>{64, 1024.5});
  CHECK(cfg->machine.efficiency_buckets == std::vector<double>{0.1, 0.5});
  CHECK_THAT(error_of(std::string{good} + "[machine]\nefficiency_buckets = [0.5, 0.1]\n"),
             Catch::Contains("camp.toml:18: key 'efficiency_buckets' must be ascending"));
  CHECK_THAT(error_of(std::string{good} + "[memory]\nkb_temperature = 0\n"),
             Catch::Contains("'kb_temperature' must be positive"));
  CHECK_THAT(error_of(std::string{good} + "[archive]\nbest = 0\n"),
             Catch::Contains("'best' must be positive"));
}
