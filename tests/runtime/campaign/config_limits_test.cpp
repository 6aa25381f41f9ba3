// Values of a campaign config that this machine or the store cannot honour are refused when the
// config is loaded, each with the file, the line, the key and why (issue 17's list of bad input).

#include "hardware/host/timing_core_lease.hpp"
#include "runtime/campaign/campaign_launch.hpp"
#include "runtime/campaign/config.hpp"
#include "tests/support/config_text.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace kforge;
using namespace kforge::runtime;

namespace {

using test::config_with;
using test::error_of;

task_def task_of(const std::string& id, int64_t elements) {
  task_def t;
  t.id = id;
  t.backend = "cpu";
  t.inputs = {tensor_spec{"x", {elements}}};
  t.outputs = {tensor_spec{"y", {elements}}};
  return t;
}

}  // namespace

TEST_CASE("seeds must be at least 2 and at most 256", "[runtime][config]") {
  CHECK_THAT(error_of("[verifier]\nseeds = 1\n"),
             Catch::Contains("/cfg/camp.toml:5") && Catch::Contains("'seeds' must lie in [2, 256]"));
  CHECK_THAT(error_of("[verifier]\nseeds = 1000000\n"), Catch::Contains("'seeds' must lie in [2, 256]"));
  auto ok = parse_campaign_config(config_with("[verifier]\nseeds = 2\n"), "/cfg/camp.toml");
  REQUIRE(ok);
  CHECK(ok->verifier.seeds == 2);
}

TEST_CASE("compile_jobs is capped at four per core", "[runtime][config]") {
  auto cores = std::max(1U, std::thread::hardware_concurrency());
  auto cap = std::to_string(4 * cores);
  CHECK(parse_campaign_config(config_with("[verifier]\ncompile_jobs = " + cap + "\n"), "/cfg/camp.toml"));
  auto msg = error_of("[verifier]\ncompile_jobs = 1000000\n");
  CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:5") && Catch::Contains("compile_jobs") &&
                      Catch::Contains("at most " + cap));
}

TEST_CASE("timing_cores lists only cores this process may run on", "[runtime][config]") {
  auto allowed = hardware::allowed_cores();
  REQUIRE_FALSE(allowed.empty());
  auto ok = parse_campaign_config(
      config_with("[verifier]\ntiming_cores = [" + std::to_string(allowed.back()) + "]\n"), "/cfg/camp.toml");
  REQUIRE(ok);
  CHECK(ok->verifier.timing_cores == std::vector<int>{allowed.back()});
  CHECK(parse_campaign_config(config_with("[verifier]\n"), "/cfg/camp.toml")->verifier.timing_cores.empty());
  CHECK_THAT(error_of("[verifier]\ntiming_cores = [4096]\n"),
             Catch::Contains("/cfg/camp.toml:5") && Catch::Contains("timing_cores") &&
                 Catch::Contains("4096") && Catch::Contains("not a core this process may run on"));
  CHECK_THAT(error_of("[verifier]\ntiming_cores = [0.5]\n"), Catch::Contains("lists 0.5"));
  CHECK_THAT(error_of("[verifier]\ntiming_cores = \"1\"\n"), Catch::Contains("must be a list of numbers"));
}

TEST_CASE("integers beyond 64 bits or beyond their key's type are refused, not clamped",
          "[runtime][config]") {
  SECTION("a seed beyond 64 bits") {
    auto msg = error_of("seed = 99999999999999999999\n");
    CHECK_THAT(msg, Catch::Contains("/cfg/camp.toml:4") && Catch::Contains("does not fit in 64 bits"));
  }
  SECTION("a hexadecimal literal beyond 64 bits") {
    CHECK_THAT(error_of("seed = 0x1_0000_0000_0000_0000\n"), Catch::Contains("does not fit in 64 bits"));
  }
  SECTION("the largest 64-bit integer itself is a number like any other") {
    auto cfg = parse_campaign_config(config_with("seed = 9223372036854775807\n"), "/cfg/camp.toml");
    REQUIRE(cfg);
    CHECK(cfg->seed == 9223372036854775807ULL);
  }
  SECTION("a 32-bit key given more than 32 bits") {
    // toml11 would cut 4294967298 to 2.
    CHECK_THAT(error_of("[verifier]\nseeds = 4294967298\n"),
               Catch::Contains("/cfg/camp.toml:5") && Catch::Contains("'seeds' must be at most 2147483647"));
  }
}

TEST_CASE("every floating key must be finite", "[runtime][config]") {
  CHECK_THAT(
      error_of("[verifier]\nnoise_threshold = nan\n"),
      Catch::Contains("/cfg/camp.toml:5") && Catch::Contains("'noise_threshold' must be a finite number"));
  CHECK_THAT(error_of("[budget]\nwall_minutes = inf\n"),
             Catch::Contains("'wall_minutes' must be a finite number"));
  CHECK_THAT(error_of("[policy]\nexplore = -nan\n"), Catch::Contains("'explore' must be a finite number"));
  CHECK_THAT(error_of("[machine]\nworking_sets_kib = [256, nan]\n"),
             Catch::Contains("'working_sets_kib' must be a list of finite numbers"));
  CHECK_THAT(error_of("[machine]\npeak_gbps = 1e999\n"), Catch::Contains("too large for a double"));
  CHECK_THAT(error_of("[budget]\nwall_minutes = 1e300\n"),
             Catch::Contains("'wall_minutes' must lie in [0, "));
  auto whole = parse_campaign_config(config_with("[budget]\nwall_minutes = 5\n"), "/cfg/camp.toml");
  REQUIRE(whole);  // an integer is a number too
  CHECK(whole->wall_minutes == 5);
}

TEST_CASE("a campaign name is at most 200 characters of a-z, 0-9, _ and -", "[runtime][config]") {
  auto name = std::string(200, 'a');
  CHECK(parse_campaign_config("[campaign]\nname = \"" + name + "\"\ntasks = [\"a\"]\n", "/cfg/camp.toml"));
  auto msg = describe(
      parse_campaign_config("[campaign]\nname = \"" + std::string(5000, 'a') + "\"\ntasks = [\"a\"]\n",
                            "/cfg/camp.toml")
          .error());
  CHECK_THAT(msg,
             Catch::Contains("/cfg/camp.toml:2") && Catch::Contains("5000 characters long; at most 200"));
  CHECK_THAT(
      describe(parse_campaign_config("[campaign]\nname = \"A b\"\ntasks = [\"a\"]\n", "c.toml").error()),
      Catch::Contains("may hold only a-z, 0-9"));
}

TEST_CASE("an endpoint's base_url needs a port from 1 to 65535", "[runtime][config]") {
  auto endpoint = [](const std::string& url) {
    return "[policy]\nkind = \"openai\"\n[[llm.endpoint]]\nname = \"e\"\nmodel = \"m\"\nbase_url = \"" + url +
           "\"\n";
  };
  CHECK_THAT(error_of(endpoint("http://127.0.0.1:99999/v1")),
             Catch::Contains("/cfg/camp.toml:9") && Catch::Contains("bad port '99999'"));
  CHECK_THAT(error_of(endpoint("http://127.0.0.1:0/v1")), Catch::Contains("bad port '0'"));
  CHECK_THAT(error_of(endpoint("http://127.0.0.1:/v1")), Catch::Contains("bad port"));
  auto ok = parse_campaign_config(config_with(endpoint("http://[::1]:8000/v1")), "/cfg/camp.toml");
  REQUIRE(ok);
  CHECK(ok->llm.endpoints.at(0).base_url == "http://[::1]:8000/v1");
}

TEST_CASE("[llm] max_response_bytes defaults to 4 MiB and is bounded", "[runtime][config]") {
  auto cfg = parse_campaign_config(config_with(""), "/cfg/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->llm.max_response_bytes == 4 * 1024 * 1024);
  auto set = parse_campaign_config(config_with("[llm]\nmax_response_bytes = 65536\n"), "/cfg/camp.toml");
  REQUIRE(set);
  CHECK(set->llm.max_response_bytes == 65536);
  CHECK_THAT(
      error_of("[llm]\nmax_response_bytes = 10\n"),
      Catch::Contains("/cfg/camp.toml:5") && Catch::Contains("'max_response_bytes' must lie in [1024, "));
}

TEST_CASE("a campaign's evaluation total and its references' memory are checked against its tasks",
          "[runtime][config]") {
  auto cfg = parse_campaign_config(config_with("[budget]\nevaluations_per_task = 9223372036854775807\n"),
                                   "/cfg/camp.toml");
  REQUIRE(cfg);
  kforge::task_map tasks;
  tasks["a"] = task_of("a", 1000);
  SECTION("one task: the per-task budget is the total") {
    CHECK_FALSE(check_campaign_limits(*cfg, tasks, std::nullopt));
    CHECK(cfg->evaluation_budget(1) == INT64_MAX);
  }
  SECTION("two tasks overflow the total") {
    tasks["b"] = task_of("b", 1000);
    auto err = check_campaign_limits(*cfg, tasks, std::nullopt);
    REQUIRE(err);
    CHECK(code_of(err) == errc::bad_config);
    CHECK_THAT(describe(err), Catch::Contains("/cfg/camp.toml") && Catch::Contains("evaluations_per_task") &&
                                  Catch::Contains("2 tasks overflows"));
    auto capped = *cfg;
    capped.evaluations = 100;  // an overall budget is no product
    CHECK_FALSE(check_campaign_limits(capped, tasks, std::nullopt));
  }
  SECTION("seeds x the tasks' tensors against the memory available") {
    cfg->verifier.seeds = 8;
    // kept 8 x 8000 + largest run 8 x 28000 = 288000 bytes
    CHECK_FALSE(check_campaign_limits(*cfg, tasks, uint64_t{288000}));
    auto err = check_campaign_limits(*cfg, tasks, uint64_t{287999});
    REQUIRE(err);
    CHECK_THAT(describe(err), Catch::Contains("[verifier] seeds = 8") && Catch::Contains("281 KiB") &&
                                  Catch::Contains("MemAvailable"));
    auto null = *cfg;
    null.verifier.device = "null";  // keeps no references
    CHECK_FALSE(check_campaign_limits(null, tasks, uint64_t{1}));
  }
}
