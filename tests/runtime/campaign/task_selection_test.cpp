// Which loaded tasks a campaign's policy can serve: a glob over KernelBench problems loads all
// of them for a model policy, and what the offline policy cannot serve is left out and named.
#include "runtime/campaign/campaign_launch.hpp"
#include "runtime/campaign/config.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace kforge;
using namespace kforge::runtime;

namespace {

campaign_config config(const std::string& policy, const std::string& device) {
  const std::string text =
      "[campaign]\nname = \"kb\"\ntasks = [\"tests/hardware/data/kernelbench/level*/*.py\"]\n"
      "[policy]\nkind = \"" +
      policy + "\"\n[verifier]\ndevice = \"" + device + "\"\n" +
      (policy == "openai"
           ? "[[llm.endpoint]]\nname = \"e\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n"
           : "");
  auto cfg = parse_campaign_config(text, std::filesystem::path{KFORGE_SOURCE_DIR} / "c.toml");
  if (!cfg)
    FAIL(describe(cfg.error()));
  return *cfg;
}

}  // namespace

TEST_CASE("a model policy gets every KernelBench problem; the offline policy those with a generator",
          "[runtime][campaign]") {
  std::vector<std::string> left_out;
  auto model = load_campaign_tasks(config("openai", "cuda"), &left_out);
  REQUIRE(model);
  CHECK((*model)->size() == 9);
  CHECK(left_out.empty());

  auto offline = load_campaign_tasks(config("offline", "cuda"), &left_out);
  REQUIRE(offline);
  CHECK((*offline)->size() == 4);  // ReLU, LeakyReLU, Softsign, HardTanh
  CHECK(left_out.size() == 5);
  auto note = left_out_note(left_out, (*offline)->size(), "offline");
  CHECK_THAT(note, Catch::StartsWith("5 of 9 tasks left out"));
  CHECK_THAT(note, Catch::Contains("kb1_1_square_matrix_multiplication"));

  auto cpu = load_campaign_tasks(config("openai", "cpu"));
  REQUIRE_FALSE(cpu);
  CHECK_THAT(describe(cpu.error()), Catch::Contains("runs on a GPU; set [verifier] device = \"cuda\""));
}
