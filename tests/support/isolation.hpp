#pragma once

// How a sandbox test reacts where the kernel withholds namespaces: it warns and skips its strict
// checks, unless KFORGE_REQUIRE_ISOLATION=1 (CI sets it) turns the missing isolation into a
// failure, so that a CI machine that lost its namespaces cannot pass the hostile suite quietly.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

namespace kforge::test {

/// True when KFORGE_REQUIRE_ISOLATION=1.
inline bool isolation_required() {
  const char* value = std::getenv("KFORGE_REQUIRE_ISOLATION");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

/// Reports that the sandbox runs with less isolation than the test checks (`why`): a warning, or a
/// failure where isolation is required. The caller skips its strict checks afterwards.
inline void isolation_missing(const std::string& why) {
  if (isolation_required())
    FAIL("KFORGE_REQUIRE_ISOLATION=1 but " << why);
  WARN(why << " (strict checks skipped; KFORGE_REQUIRE_ISOLATION=1 makes this a failure)");
}

}  // namespace kforge::test
