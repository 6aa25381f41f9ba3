// Issue 16: the [workers] table, the secret file, addresses and the fixed-cost null device.
#include "hardware/null/null_device.hpp"
#include "runtime/campaign/config.hpp"
#include "runtime/campaign/workers_setup.hpp"

#include "tests/support/config_text.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace kforge;
using namespace kforge::runtime;

using test::config_with;
using test::error_of;

TEST_CASE("The [workers] table: defaults, paths, and the addresses it refuses",
          "[runtime][config][workers]") {
  auto plain = parse_campaign_config(config_with(""), "/cfg/camp.toml");
  REQUIRE(plain);
  CHECK_FALSE(plain->workers.enabled());
  auto cfg =
      parse_campaign_config(config_with("[workers]\nlisten = \"127.0.0.1:7700\"\nsecret_file = \"s/key\"\n"
                                        "local = false\nheartbeat_ms = 100\ndeadline_ms = 300\n"),
                            "/cfg/camp.toml");
  REQUIRE(cfg);
  CHECK(cfg->workers.enabled());
  CHECK(cfg->workers.secret_file == "/cfg/s/key");  // relative to the config file
  CHECK(cfg->workers.tls);
  CHECK_FALSE(cfg->workers.local);
  CHECK(cfg->workers.heartbeat_ms == 100);
  // A public address is fine with TLS, and needs allow_plaintext without it.
  CHECK(error_of("[workers]\nlisten = \"0.0.0.0:7700\"\nsecret_file = \"k\"\n") == "loaded without error");
  CHECK_THAT(error_of("[workers]\nlisten = \"0.0.0.0:7700\"\nsecret_file = \"k\"\ntls = false\n"),
             Catch::Contains("camp.toml:5") && Catch::Contains("not a loopback address and tls = false") &&
                 Catch::Contains("allow_plaintext"));
  CHECK(error_of("[workers]\nlisten = \"0.0.0.0:7700\"\nsecret_file = \"k\"\ntls = false\nallow_plaintext = "
                 "true\n") == "loaded without error");
  CHECK_THAT(error_of("[workers]\nlisten = \"127.0.0.1:7700\"\n"), Catch::Contains("needs 'secret_file'"));
  CHECK_THAT(error_of("[workers]\nlisten = \"127.0.0.1\"\nsecret_file = \"k\"\n"),
             Catch::Contains("is not HOST:PORT"));
  CHECK_THAT(error_of("[workers]\nlisten = \"127.0.0.1:70000\"\nsecret_file = \"k\"\n"),
             Catch::Contains("from 0 to 65535"));
  CHECK_THAT(error_of("[workers]\nlisten = \"127.0.0.1:1\"\nsecret_file = \"k\"\nheartbeat_ms = "
                      "500\ndeadline_ms = 100\n"),
             Catch::Contains("at least heartbeat_ms"));
  auto gpu = load_campaign_config(std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/gpu/cuda_workers.toml");
  REQUIRE(gpu);
  CHECK(gpu->workers.enabled());
  CHECK_FALSE(gpu->workers.local);
  CHECK(gpu->workers.secret_file.filename() == "workers.secret");
  CHECK_THAT(error_of("[workers]\nlisen = \"127.0.0.1:1\"\n"), Catch::Contains("lisen"));
}

TEST_CASE("Endpoints, loopback addresses and the secret file", "[runtime][config][workers]") {
  auto v4 = parse_endpoint("10.1.2.3:7700");
  REQUIRE(v4);
  CHECK(v4->first == "10.1.2.3");
  CHECK(v4->second == 7700);
  auto v6 = parse_endpoint("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->first == "::1");
  CHECK(v6->second == 0);
  CHECK(is_loopback(v6->first));
  CHECK_FALSE(is_loopback("10.1.2.3"));
  CHECK_FALSE(parse_endpoint(":7700"));
  CHECK_FALSE(parse_endpoint("host:"));
  CHECK_FALSE(parse_endpoint("host:12a"));

  test::temp_dir dir{"secret"};
  auto good = dir.write("good", "0123456789abcdef0123\n\n");
  std::filesystem::permissions(good,
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto secret = read_secret(good);
  REQUIRE(secret);
  CHECK(*secret == "0123456789abcdef0123");  // trailing whitespace is not part of it
  auto short_one = read_secret(dir.write("short", "tooshort\n"));
  REQUIRE_FALSE(short_one);
  CHECK_THAT(describe(short_one.error()), Catch::Contains("shorter than 16 characters"));
  auto missing = read_secret(dir.path() / "absent");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == errc::io_failed);
}

TEST_CASE("The null device takes a fixed run cost as null:sleep=MS", "[runtime][config][workers]") {
  CHECK(hardware::null_sleep_ms("null") == int64_t{0});
  CHECK(hardware::null_sleep_ms("null:sleep=25") == int64_t{25});
  CHECK_FALSE(hardware::null_sleep_ms("null:sleep="));
  CHECK_FALSE(hardware::null_sleep_ms("null:sleep=-1"));
  CHECK_FALSE(hardware::null_sleep_ms("null:nap=5"));
  CHECK_FALSE(hardware::null_sleep_ms("cpu"));
  CHECK(error_of("[verifier]\ndevice = \"null:sleep=5\"\n") == "loaded without error");
  CHECK_THAT(error_of("[verifier]\ndevice = \"null:sleep=x\"\n"),
             Catch::Contains("unknown device 'null:sleep=x'"));
}
