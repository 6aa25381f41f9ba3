#pragma once

// The sandbox wing's entry header: what code outside the wing includes to run
// an untrusted program. Inside the wing the headers point one way: unique_fd,
// scratch_dir and spawn_options at the bottom, then sandbox_child,
// sandbox_launch, subprocess, and this file on top.

#include "hardware/sandbox/scratch_dir.hpp"
#include "hardware/sandbox/subprocess.hpp"
#include "runtime/base/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kforge::hardware {

/// One program to run to completion in the sandbox.
struct sandbox_request {
  std::vector<std::string> argv;         ///< argv[0]: a path, or a name looked up in /usr/bin:/bin
  std::filesystem::path cwd;             ///< working directory owned by the caller; empty: a fresh one
  std::filesystem::path scratch_parent;  ///< where a fresh directory is made; empty: the system temp dir
  process_limits limits;                 ///< wall clock, rlimits, output cap
  /// Files or directories the program reads, made visible read-only (see
  /// spawn_options); absolute paths in `argv` naming regular files are added.
  std::vector<std::filesystem::path> read_only_paths;
  /// Directories the program must not see at all (the store, for example).
  std::vector<std::filesystem::path> hidden_paths;
  /// Added to the scrubbed environment ("KEY=value"; a key already there is
  /// replaced). Trusted: set by backends (CUDA's library path, the torch
  /// extension directory), never by candidates.
  std::vector<std::string> extra_env;
};

/// The whole environment a sandboxed program gets: PATH=/usr/bin:/bin,
/// HOME and TMPDIR = `scratch`, LANG=C. Nothing of kforge's environment
/// (API keys, tokens) is passed on.
[[nodiscard]] std::vector<std::string> scrubbed_environment(const std::filesystem::path& scratch);

/// Runs `req.argv` in a sandboxed child (see subprocess: PID, network, IPC
/// and mount namespaces, the unprivileged sandbox user when kforge is root,
/// its own process group, rlimits, scrubbed environment, stdin from
/// /dev/null, stdout+stderr captured up to the cap, every other descriptor
/// closed) and blocks until it has exited or been killed at the wall-clock
/// limit. With an empty `req.cwd` it runs in a fresh private directory that
/// is removed afterwards. When the program runs as the sandbox user, the
/// working directory and everything in it is lent to that user for the run
/// and given back to its owner afterwards (top directory mode 0711), so no
/// later sandbox can change what this one left. Absolute paths in `argv` naming
/// regular files (the program, a harness object) are bound read-only. A program that
/// fails is a report, not an error. Errors: errc::sandbox_failed (pipes,
/// clone, program not found), errc::io_failed (scratch directory, changing
/// owners). Call from a thread that may block.
[[nodiscard]] caf::expected<exit_report> run_sandboxed(const sandbox_request& req);

/// Names a signal: "SIGSEGV (Segmentation fault)".
[[nodiscard]] std::string signal_name(int sig);

/// Says in a few words how a process ended: "exit code 1",
/// "killed by signal SIGSEGV (Segmentation fault)", "timed out after 2 s",
/// "exceeded the CPU limit of 20 s", "could not start: ...".
[[nodiscard]] std::string describe_exit(const exit_report& report, const process_limits& limits);

/// Cuts `text` to at most `cap` bytes (not inside a UTF-8 sequence) and
/// marks the cut with "\n[... truncated]".
[[nodiscard]] std::string truncate_text(std::string text, std::size_t cap);

/// What a program's run left to read: its captured output, preceded by how
/// it ended when that was not a plain exit 0 ("<what> timed out after ...",
/// "<what> exited with code 1"), and a mark when the output was cut. `what`
/// names the program: "compiler", "harness".
[[nodiscard]] std::string program_output(const exit_report& report, const process_limits& limits,
                                         const std::string& what);

}  // namespace kforge::hardware
