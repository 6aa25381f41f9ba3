#pragma once

// Campaign configs as text for tests of the config reader's checks.

#include "runtime/base/error.hpp"
#include "runtime/campaign/config.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace kforge::test {

/// A valid config; `extra` is appended (its first line is line 4).
inline std::string config_with(const std::string& extra) {
  return "[campaign]\nname = \"x\"\ntasks = [\"a\"]\n" + extra;
}

/// The message of the bad_config error that config_with(extra), read as /cfg/camp.toml, gives;
/// "loaded without error" if it loads.
inline std::string error_of(const std::string& extra) {
  auto cfg = runtime::parse_campaign_config(config_with(extra), "/cfg/camp.toml");
  if (cfg)
    return "loaded without error";
  CHECK(code_of(cfg.error()) == errc::bad_config);
  return describe(cfg.error());
}

}  // namespace kforge::test
