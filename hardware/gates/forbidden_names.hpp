#pragma once

// The native gate's table of forbidden names (hack_check.cpp judges with it).

#include <map>
#include <string>

namespace kforge::hardware {

/// Names a kernel may not use, each with the reason a verdict gives: process control, file I/O,
/// network, time, threads, dynamic loading, environment, exit, signals, memory mapping,
/// non-local jumps, relocation and symbol-table walking, stack introspection (the builtin forms).
[[nodiscard]] const std::map<std::string, std::string>& forbidden_names();

}  // namespace kforge::hardware
