#pragma once

// Runs the KernelBench gate's parser (gate.py, built in) on one candidate in kforge's sandbox
// and judges its report (hardware/gates/python_gate.hpp says the rules).

#include "hardware/gates/python_gate.hpp"
#include "hardware/sandbox/subprocess.hpp"
#include "runtime/base/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// Where and how the gate's parser runs.
struct python_gate_settings {
  std::string python = "python3";        ///< any Python 3.9 or later (a path, or a name in /usr/bin:/bin)
  std::filesystem::path scratch_parent;  ///< where its private directory is made; empty: $TMPDIR
  std::vector<std::filesystem::path> hidden_paths;  ///< the store, for example
  process_limits limits = gate_limits();

  /// 20 s of wall time, 10 s of CPU, 1 GiB of address space, no child processes to speak of.
  [[nodiscard]] static process_limits gate_limits();
};

/// Parses and judges `source` (the candidate's Python) with gate.py in the sandbox. A parser
/// that fails (timed out, out of memory, a crash) is a report with that one violation. Errors:
/// errc::sandbox_failed or errc::io_failed when the sandbox itself cannot run.
[[nodiscard]] caf::expected<python_gate_report> run_python_gate(const python_gate_settings& settings,
                                                                std::string_view source);

/// The hack gate's result for `source` (run_python_gate, then python_gate_result); a sandbox that
/// cannot run is a failed gate saying so. The bypass judgement is not part of it.
[[nodiscard]] gate_result hack_check_python(const task_def& task, std::string_view source,
                                            const python_gate_settings& settings = {});

}  // namespace kforge::hardware
