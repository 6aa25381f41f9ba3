#pragma once

// The scale benchmark's store modes: filling a campaign's store with a long campaign's memory,
// and the raw durable LMDB group-commit rate of the disk.

#include "tools/bench/scale_memory_shape.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace kforge::bench {

/// Appends `count` generated items to the campaign store at `dir`, for its tasks. Prints what
/// it did; throws std::runtime_error on a store error. Returns the exit code.
int fill_store(memory_shape shape, const std::filesystem::path& dir, std::size_t count, uint64_t seed);

/// Prints the durable group-commit rate of `bytes`-byte records, `group` a transaction, written
/// for `seconds` into a fresh store at `dir` (removed after). Throws std::runtime_error.
int lmdb_rate(const std::filesystem::path& dir, std::size_t bytes, int group, double seconds);

}  // namespace kforge::bench
