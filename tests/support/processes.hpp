#pragma once

// What a test can see of the processes it started: those it marked with a
// string in their argv, so that a test checks that nothing it ran is left.

#include <sys/types.h>

#include <string>
#include <vector>

namespace kforge::test {

/// Pids of live processes whose command line contains `marker`.
[[nodiscard]] std::vector<pid_t> processes_with(const std::string& marker);

}  // namespace kforge::test
