#pragma once

// The memory a task's tensors take and what the machine has free, so that a task or a campaign
// too large for this machine is refused when it is loaded instead of growing kforge until the
// kernel kills it. Plain functions; available_memory_bytes reads /proc/meminfo (at most every 100 ms).

#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kforge::hardware {

/// Elements of `shape` (the product of its dimensions); nullopt when it overflows int64.
[[nodiscard]] std::optional<int64_t> checked_elements(const std::vector<int64_t>& shape);

/// Bytes of one set of `tensors` (float32); nullopt when a count overflows.
[[nodiscard]] std::optional<uint64_t> tensor_set_bytes(const std::vector<tensor_spec>& tensors);

/// MemAvailable of a /proc/meminfo text in bytes; nullopt when it has none.
[[nodiscard]] std::optional<uint64_t> parse_mem_available(const std::string& meminfo);

/// MemAvailable of this machine in bytes (/proc/meminfo, read again after 100 ms); nullopt when unknown (then
/// nothing is refused for memory). Blocks briefly (reads a file).
[[nodiscard]] std::optional<uint64_t> available_memory_bytes();

/// What kforge's own process holds for the references of `tasks` with `seeds` input sets each:
/// every task's inputs and reference outputs stay in memory (seeds x (in + out) bytes), and
/// preparing one reads its run back (inputs, outputs, outputs after the timing loop, and the
/// channel they came in: seeds x (3 in + 4 out) bytes more, for the largest task). Tasks of the
/// kernelbench backend keep theirs in their Python harness and count nothing. nullopt on overflow.
[[nodiscard]] std::optional<uint64_t> reference_memory_bytes(const std::map<std::string, task_def>& tasks,
                                                             int64_t seeds);

/// "1.5 GiB", "300 MiB", "12 KiB" or "17 bytes".
[[nodiscard]] std::string describe_bytes(uint64_t bytes);

}  // namespace kforge::hardware
