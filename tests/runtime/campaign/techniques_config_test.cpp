#include "runtime/campaign/campaign_setup.hpp"
#include "runtime/campaign/config.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace kforge;
using namespace kforge::runtime;

namespace {

std::string config_text(const std::string& llm_lines) {
  return "[campaign]\nname = \"t\"\ntasks = [\"x.toml\"]\n[policy]\nkind = \"openai\"\n[llm]\n" + llm_lines +
         "[[llm.endpoint]]\nname = \"m\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\n";
}

kforge::task_map cpu_tasks() {
  kforge::task_map tasks;
  kforge::task_def t;
  t.id = "a";
  t.family = "softmax";
  t.backend = "cpu";
  tasks.emplace("a", t);
  return tasks;
}

const char* const one_technique =
    "[[technique]]\nid = \"simd\"\nname = \"SIMD\"\nsummary = \"s\"\napplies_to = [\"memory\"]\n";

}  // namespace

TEST_CASE("the technique catalogue of a campaign is found by backend or named in [llm]",
          "[runtime][technique]") {
  test::temp_dir dir{"techniques"};
  std::filesystem::create_directories(dir.path() / "prompts");
  std::filesystem::create_directories(dir.path() / "techniques");
  { std::ofstream{dir.path() / "techniques" / "cpu.toml"} << one_technique; }
  auto camp = (dir.path() / "camp.toml").string();

  SECTION("by default the techniques folder beside the prompts folder") {
    auto cfg = parse_campaign_config(config_text(""), camp);
    REQUIRE(cfg);
    CHECK(cfg->llm.techniques == (dir.path() / "techniques").string());
    CHECK(cfg->llm.technique_top_k == 4);
    auto c = techniques_of(*cfg, cpu_tasks());
    REQUIRE(c);
    REQUIRE((*c)->count("cpu") == 1);
    CHECK((*c)->at("cpu").techniques.size() == 1);
    CHECK((*c)->at("cpu").backend == "cpu");
  }
  SECTION("one file for every backend, with the draw's settings") {
    { std::ofstream{dir.path() / "mine.toml"} << one_technique; }
    auto cfg = parse_campaign_config(
        config_text("techniques = \"mine.toml\"\ntechnique_top_k = 2\ntechnique_temperature = 0.5\n"
                    "technique_prior = 1.2\n"),
        camp);
    REQUIRE(cfg);
    auto c = techniques_of(*cfg, cpu_tasks());
    REQUIRE(c);
    CHECK((*c)->at("cpu").techniques.front().id == "simd");
    auto t = technique_config_of(*cfg);
    CHECK(t.top_k == 2);
    CHECK(t.temperature == 0.5);
    CHECK(t.prior_speedup == 1.2);
  }
  SECTION("a malformed catalogue is an error with its file and line") {
    { std::ofstream{dir.path() / "techniques" / "cpu.toml"} << one_technique << "[[technique]]\nid = 3\n"; }
    auto cfg = parse_campaign_config(config_text(""), camp);
    REQUIRE(cfg);
    auto c = techniques_of(*cfg, cpu_tasks());
    REQUIRE_FALSE(c);
    CHECK_THAT(describe(c.error()),
               Catch::Contains((dir.path() / "techniques" / "cpu.toml").string() + ":7:"));
  }
  SECTION("a catalogue the config names must exist; a default one may be missing") {
    auto named = parse_campaign_config(config_text("techniques = \"nowhere\"\n"), camp);
    REQUIRE(named);
    auto c = techniques_of(*named, cpu_tasks());
    REQUIRE_FALSE(c);
    CHECK_THAT(describe(c.error()), Catch::Contains("no catalogue"));
    std::filesystem::remove(dir.path() / "techniques" / "cpu.toml");
    auto dflt = parse_campaign_config(config_text(""), camp);
    REQUIRE(dflt);
    auto none = techniques_of(*dflt, cpu_tasks());
    REQUIRE(none);
    CHECK((*none)->empty());
  }
  SECTION("bad draw settings are config errors") {
    auto cfg = parse_campaign_config(config_text("technique_temperature = 0\n"), camp);
    REQUIRE_FALSE(cfg);
    CHECK_THAT(describe(cfg.error()),
               Catch::Contains("camp.toml:7: key 'technique_temperature' must be positive"));
  }
}
