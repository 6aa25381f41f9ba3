#pragma once

// The hostile kernels of tests/hardware/hostile/kernels against the add task, prepared once per
// test executable on a CPU backend that runs every gate (-O2, a 64 KiB cache flush, 10 s wall).

#include "tests/support/prepared_task.hpp"
#include "tests/support/task_files.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace kforge::test {

inline hardware::cpu_backend_config hostile_config(const std::filesystem::path& work_dir) {
  hardware::cpu_backend_config config;
  config.work_dir = work_dir;
  config.cxx_flags = {"-O2"};
  config.min_runs = 10;
  config.max_runs = 40;
  config.target_ms = 5;
  config.flush_kib = 64;
  config.run_limits.wall_ms = 10'000;
  return config;
}

inline const prepared_task& hostile_fixture() {
  static const prepared_task instance{"hostile", hostile_config};
  return instance;
}

/// The text of tests/hardware/hostile/kernels/`name`.
inline std::string hostile_kernel(const std::string& name) {
  std::ifstream in{source_dir / "tests/hardware/hostile/kernels" / name};
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// All gates, as a campaign runs them.
inline kforge::verdict evaluate_hostile(const std::string& source,
                                        const hardware::cpu_backend& backend = hostile_fixture().backend) {
  const auto& f = hostile_fixture();
  auto v = backend.evaluate(f.task, source, "hostile", f.reference);
  if (!v)
    FAIL(describe(v.error()));
  return *v;
}

/// Compile and run only: the static gate is skipped, to test what stops the kernel at run time.
inline kforge::verdict run_past_static_gate(
    const std::string& source, const hardware::cpu_backend& backend = hostile_fixture().backend) {
  const auto& f = hostile_fixture();
  auto compiled = backend.compile(f.task, source, "hostile");
  if (!compiled)
    FAIL(describe(compiled.error()));
  REQUIRE(compiled->ok);
  auto v = backend.run(f.task, *compiled, f.reference);
  CHECK_FALSE(backend.discard(*compiled));
  if (!v)
    FAIL(describe(v.error()));
  return *v;
}

}  // namespace kforge::test
