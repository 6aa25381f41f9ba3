// The one Catch2 main of all test executables. Logging defaults to warnings;
// KFORGE_TEST_LOG=debug|info|... shows more.
#define CATCH_CONFIG_RUNNER
#include "runtime/base/log.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

int main(int argc, char* argv[]) {
  kforge::log::level lvl = kforge::log::level::warning;
  if (const char* env = std::getenv("KFORGE_TEST_LOG"))
    if (!kforge::log::parse_level(env, lvl))
      lvl = kforge::log::level::warning;
  kforge::log::set_level(lvl);
  return Catch::Session().run(argc, argv);
}
