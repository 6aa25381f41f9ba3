// Issue 17's bad input, as a user gives it to `kforge run`: each is refused before anything starts,
// with exit code 2 and a message naming the file, the key and why; no store is created.

#include "runtime/cli/exit_codes.hpp"

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using namespace kforge;

TEST_CASE("kforge run refuses issue 17's bad input before it starts", "[runtime][cli]") {
  test::temp_dir dir{"bad"};
  auto task = std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/row_sum_256x2048.toml";
  auto other = std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/gelu_tanh_49999.toml";
  auto head = "[campaign]\nname = \"bad\"\ntasks = [\"" + task + "\", \"" + other + "\"]\n";
  // A task as large as the issue's: 1000000 x 4096 floats in and out, 32 GB a set.
  dir.write("big.cpp", "void f(const float* x, float* y) {}\n");
  dir.write(
      "big.toml",
      "id = \"big\"\nfamily = \"add\"\nbackend = \"cpu\"\nsignature = \"void f(const float* x, float* y)\"\n"
      "call = \"f(x, y)\"\nreference = \"big.cpp\"\ntemplate = \"big.cpp\"\n"
      "[[inputs]]\nname = \"x\"\nshape = [1000000, 4096]\n[[outputs]]\nname = \"y\"\nshape = [1000000, "
      "4096]\n");
  struct bad_case {
    std::string config;
    std::string says;
  };
  const std::vector<bad_case> cases{
      {head + "[verifier]\nseeds = 1000000\n", ":5: key 'seeds' must lie in [2, 256]"},
      {head + "[verifier]\nseeds = 1\n", ":5: key 'seeds' must lie in [2, 256]"},
      {head + "[verifier]\ncompile_jobs = 1000000\n", ":5: key 'compile_jobs' is 1000000"},
      {head + "[budget]\nevaluations_per_task = 9223372036854775807\n", "times 2 tasks overflows"},
      {head + "seed = 99999999999999999999\n",
       ":4: the integer 99999999999999999999 does not fit in 64 bits"},
      {head + "[verifier]\nnoise_threshold = nan\n", ":5: key 'noise_threshold' must be a finite number"},
      {"[campaign]\nname = \"" + std::string(5000, 'n') + "\"\ntasks = [\"" + task + "\"]\n",
       ":2: campaign name is 5000 characters long; at most 200"},
      {head + "[policy]\nkind = \"openai\"\n[[llm.endpoint]]\nname = \"e\"\nmodel = \"m\"\n"
              "base_url = \"http://127.0.0.1:99999/v1\"\n",
       ".toml:9: URL 'http://127.0.0.1:99999/v1' has a bad port '99999'"},
      {"[campaign]\nname = \"big\"\ntasks = [\"big.toml\"]\n",
       "big.toml:8: one set of the task's inputs and outputs"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto cfg = dir.write("c" + std::to_string(i) + ".toml", cases[i].config);
    std::string out;
    INFO(cases[i].config.substr(0, 200));
    CHECK(test::run_to_end({KFORGE_BINARY, "run", cfg, "--no-progress"}, out) == runtime::exit_usage);
    CHECK_THAT(out, Catch::Contains(cases[i].says));
    CHECK_THAT(out, !Catch::Contains("bad_config: bad_config"));
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() / ".kforge"));
}
