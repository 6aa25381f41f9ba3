#include "runtime/campaign/config.hpp"

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

std::string error_of_text(const std::string& text) {
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
  CHECK_FALSE(cfg->store_own_thread);
}

TEST_CASE("the store's own_thread key puts the curator on a thread of its own, and must be a boolean",
          "[runtime]") {
  auto own = parse_campaign_config(std::string{good} + "own_thread = true\n", "/cfg/camp.toml");
  REQUIRE(own);
  CHECK(own->store_own_thread);
  auto err = error_of_text(std::string{good} + "own_thread = \"yes\"\n");
  CHECK(err.find("own_thread") != std::string::npos);
}

TEST_CASE("config errors name the file, the line and what is wrong", "[runtime]") {
  SECTION("syntax error") {
    auto msg = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\nseed = 1 2\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:4"));
    CHECK_THAT(msg, Catch::Contains("syntax error"));
  }
  SECTION("unknown key") {
    auto msg = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n\n[budget]\nevaluation = 3\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:6"));
    CHECK_THAT(msg, Catch::Contains("unknown key 'evaluation' in [budget]"));
  }
  SECTION("wrong type") {
    auto msg = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[verifier]\nseeds = \"two\"\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("'seeds' must be an integer"));
  }
  SECTION("gate_preprocess must be a boolean") {
    auto msg = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[verifier]\ngate_preprocess = 1\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5") && Catch::Contains("gate_preprocess"));
  }
  SECTION("out of range") {
    auto msg = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[memory]\nepsilon = 1.5\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("between 0 and 1"));
  }
  SECTION("missing table") {
    CHECK_THAT(error_of_text("[budget]\nplateau = 3\n"),
               Catch::Contains("missing required table [campaign]"));
  }
  SECTION("bad campaign name") {
    auto msg = error_of_text("[campaign]\nname = \"Big Name\"\ntasks = [\"a\"]\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:2"));
  }
  SECTION("unknown policy") {
    auto msg = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[policy]\nkind = \"magic\"\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("unknown policy 'magic'"));
  }
  SECTION("unknown linker") {
    auto msg = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[verifier]\nlinker = \"ld\"\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("unknown linker 'ld'"));
  }
  SECTION("malformed precompiled header sets") {
    auto msg = error_of_text(
        "[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[verifier]\n"
        "precompiled_headers = [[\"cmath\"], []]\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5"));
    CHECK_THAT(msg, Catch::Contains("non-empty lists of header names"));
  }
}

// The [llm] table of the openai policy.
TEST_CASE("the openai policy's [llm] table loads endpoints, limits and budgets", "[runtime]") {
  std::string text = R"(
[campaign]
name = "llm"
tasks = ["t/*.toml"]
[policy]
kind = "openai"
[llm]
prompts = "../prompts"
max_attempts = 3
backoff_ms = 5
max_backoff_ms = 50
token_budget = 100000
cost_budget = 2.5
[[llm.endpoint]]
name = "vllm"
base_url = "http://127.0.0.1:8000/v1"
model = "qwen"
max_concurrent = 8
requests_per_minute = 120
tokens_per_minute = 60000
timeout_s = 90
[[llm.endpoint]]
name = "hosted"
base_url = "https://api.example.com/v1"
model = "big"
api_key_env = "EXAMPLE_API_KEY"
price_in = 3
price_out = 15
)";
  auto cfg = parse_campaign_config(text, "/cfg/llm/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->policy == "openai");
  const auto& l = cfg->llm;
  CHECK(l.prompts_dir == "/cfg/prompts");
  CHECK(l.retry.max_attempts == 3);
  CHECK(l.retry.base_ms == 5);
  CHECK(l.retry.max_ms == 50);
  CHECK(l.token_budget == 100000);
  CHECK(l.cost_budget == 2.5);
  REQUIRE(l.endpoints.size() == 2);
  CHECK(l.endpoints[0].max_concurrent == 8);
  CHECK(l.endpoints[0].requests_per_minute == 120);
  CHECK(l.endpoints[0].timeout_ms == 90000);
  CHECK(l.endpoints[1].api_key_env == "EXAMPLE_API_KEY");
  CHECK(l.endpoints[1].price_out == 15);

  SECTION("errors name the line") {
    auto bad = [&](const std::string& from, const std::string& to) {
      auto pos = text.find(from);
      REQUIRE(pos != std::string::npos);
      auto changed = text;
      changed.replace(pos, from.size(), to);
      return error_of_text(changed);
    };
    CHECK(bad("name = \"hosted\"", "name = \"vllm\"").find("camp.toml:23: duplicate endpoint name 'vllm'") !=
          std::string::npos);
    CHECK(bad("base_url = \"https://api", "base_url = \"ftp://api").find("must start with http://") !=
          std::string::npos);
    CHECK(bad("max_concurrent = 8", "max_concurrent = 0")
              .find("camp.toml:18: key 'max_concurrent' must be positive") != std::string::npos);
    CHECK(bad("model = \"big\"", "modle = \"big\"").find("unknown key 'modle' in [llm.endpoint]") !=
          std::string::npos);
  }
}

TEST_CASE("the outage keys of [llm] load with their defaults and are checked", "[runtime]") {
  std::string head = "[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[llm]\n";
  auto cfg = parse_campaign_config(head, "/cfg/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->llm.outage_max_wait_s == 60);
  CHECK(cfg->llm.outage_horizon_s == 6 * 3600);
  cfg = parse_campaign_config(head + "outage_max_wait_s = 5\noutage_horizon_s = 90.5\n", "/cfg/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->llm.outage_max_wait_s == 5);
  CHECK(cfg->llm.outage_horizon_s == 90.5);
  CHECK(error_of_text(head + "outage_horizon_s = 0\n")
            .find("camp.toml:5: key 'outage_horizon_s' must be more than zero") != std::string::npos);
  CHECK(error_of_text(head + "outage_max_wait_s = -1\n")
            .find("key 'outage_max_wait_s' must be more than zero") != std::string::npos);
}

TEST_CASE("the openai policy needs an endpoint", "[runtime]") {
  auto err = error_of_text("[campaign]\nname = \"x\"\ntasks = [\"a\"]\n[policy]\nkind = \"openai\"\n");
  CHECK(err.find("needs at least one [[llm.endpoint]]") != std::string::npos);
}

TEST_CASE("the example configs for vLLM, Ollama, a hosted API and the simulated model load", "[runtime]") {
  for (const char* name : {"vllm.toml", "ollama.toml", "hosted.toml", "mock.toml"}) {
    auto cfg = load_campaign_config(std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/examples" / name);
    INFO(name);
    REQUIRE(cfg);
    CHECK(cfg->policy == "openai");
    CHECK_FALSE(cfg->llm.endpoints.empty());
    CHECK(std::filesystem::exists(std::filesystem::path{cfg->llm.prompts_dir} / "draft.md"));
  }
}

TEST_CASE("the memory, archive and machine keys load and are checked", "[runtime]") {
  auto cfg = parse_campaign_config(std::string{good} + R"(
[memory]
kb_items = 3
kb_temperature = 0.25
consolidate_every = 10
consolidate_min_ms = 250
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
  CHECK(cfg->memory.consolidate_min_ms == 250);
  CHECK(cfg->memory.retire_below == -0.8);
  CHECK(cfg->memory.from == "/warm");
  CHECK(cfg->archive.best == 3);
  CHECK(cfg->archive.diverse == 5);
  CHECK_FALSE(cfg->machine.measure);
  CHECK(cfg->machine.peak_gbps == 30);
  CHECK(cfg->machine.working_sets_kib == std::vector<double>{64, 1024.5});
  CHECK(cfg->machine.efficiency_buckets == std::vector<double>{0.1, 0.5});
  CHECK_THAT(error_of_text(std::string{good} + "[machine]\nefficiency_buckets = [0.5, 0.1]\n"),
             Catch::Contains("camp.toml:18: key 'efficiency_buckets' must be ascending"));
  CHECK_THAT(error_of_text(std::string{good} + "[memory]\nkb_temperature = 0\n"),
             Catch::Contains("'kb_temperature' must be positive"));
  CHECK_THAT(error_of_text(std::string{good} + "[archive]\nbest = 0\n"),
             Catch::Contains("'best' must be positive"));
}

TEST_CASE("Campaign configs accept cuda devices and the kernelbench table", "[runtime][cuda]") {
  auto all = parse_campaign_config(
      "[campaign]\nname = \"g\"\ntasks = [\"t/*.toml\"]\n[verifier]\ndevice = \"cuda:all\"\n", "g.toml");
  REQUIRE(all);
  CHECK(all->verifier.device == "cuda:all");
  CHECK_FALSE(parse_campaign_config(
      "[campaign]\nname = \"g\"\ntasks = [\"t/*.toml\"]\n[verifier]\ndevice = \"cuda:x\"\n", "g.toml"));
  auto ok = parse_campaign_config(
      "[campaign]\nname = \"g\"\ntasks = [\"t/*.toml\"]\n[verifier]\ndevice = \"cuda:1\"\n"
      "[cuda]\narch = \"sm_90\"\n[kernelbench]\ntrials = 5\nruns = 100\npython = \"/usr/bin/python3\"\n",
      "g.toml");
  REQUIRE(ok);
  CHECK(ok->verifier.device == "cuda:1");
  CHECK(ok->cuda.arch == "sm_90");
  CHECK(ok->kernelbench.python == "/usr/bin/python3");
  auto bad = parse_campaign_config(
      "[campaign]\nname = \"g\"\ntasks = [\"t/*.toml\"]\n[verifier]\ndevice = \"gpu\"\n", "g.toml");
  REQUIRE_FALSE(bad);
  CHECK(describe(bad.error()).find("g.toml:5") != std::string::npos);
  auto bad_key = parse_campaign_config(
      "[campaign]\nname = \"g\"\ntasks = [\"t/*.toml\"]\n[kernelbench]\ntrails = 5\n", "g.toml");
  REQUIRE_FALSE(bad_key);
  CHECK(describe(bad_key.error()).find("unknown key 'trails'") != std::string::npos);
}

TEST_CASE("final_rounds and object_cache load with their defaults and are checked", "[runtime]") {
  auto cfg = parse_campaign_config(good, "/cfg/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->verifier.final_rounds == 3);
  CHECK(cfg->verifier.object_cache);
  std::string text = good;
  auto set = text;
  set.replace(set.find("seeds = 3"), 9, "seeds = 3\nfinal_rounds = 0\nobject_cache = false");
  auto off = parse_campaign_config(set, "/cfg/camp.toml");
  REQUIRE(off);
  CHECK(off->verifier.final_rounds == 0);
  CHECK_FALSE(off->verifier.object_cache);
  auto bad = text;
  bad.replace(bad.find("seeds = 3"), 9, "seeds = 3\nfinal_rounds = -1");
  auto msg = error_of_text(bad);
  CHECK_THAT(msg, Catch::Contains("final_rounds"));
  CHECK_THAT(msg, Catch::Contains("zero or more"));
}
