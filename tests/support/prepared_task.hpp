#pragma once

// A CPU backend with the test task add_4x250 prepared once (preparing compiles
// the harness and the reference, about a second). Read-only after creation,
// so a test file shares one instance between its test cases.

#include "hardware/native/cpu_backend.hpp"
#include "tests/support/task_files.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <string>

namespace kforge::test {

/// The backend, its scratch directory, the task and its reference data.
struct prepared_task {
  test::temp_dir work;
  hardware::cpu_backend backend;
  kforge::task_def task;
  hardware::reference_data reference;

  /// Prepares tests/hardware/data/add_4x250.toml with the backend `make_config(work dir)` gives.
  prepared_task(const std::string& prefix,
                const std::function<hardware::cpu_backend_config(const std::filesystem::path&)>& make_config)
      : work(prefix), backend(make_config(work.path())) {
    task = add_task();
    auto ref = backend.prepare_task(task);
    if (!ref)
      FAIL(describe(ref.error()));
    reference = std::move(*ref);
  }
};

}  // namespace kforge::test
