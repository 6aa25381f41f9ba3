#pragma once

// The source tree's files that tests read (KFORGE_SOURCE_DIR): its path, the small add task and
// the first value of every knob.

#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <vector>

namespace kforge::test {

/// The kforge source tree.
inline const std::filesystem::path source_dir{KFORGE_SOURCE_DIR};

/// tests/hardware/data/add_4x250.toml: adds two 4x250 matrices.
inline kforge::task_def add_task() {
  auto loaded = hardware::load_task(source_dir / "tests/hardware/data/add_4x250.toml");
  if (!loaded)
    FAIL(describe(loaded.error()));
  return std::move(*loaded);
}

/// The first value of every knob of `task`.
inline std::vector<kforge::knob_setting> first_values(const kforge::task_def& task) {
  std::vector<kforge::knob_setting> s;
  for (const auto& k : task.knobs)
    s.push_back({k.name, k.values.front()});
  return s;
}

}  // namespace kforge::test
