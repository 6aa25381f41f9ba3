#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace kforge {

/// Runtime failure codes. Kernel outcomes are never errors (they are verdicts);
/// these are failures of kforge itself or of its inputs.
enum class errc : uint8_t {
  none = 0,
  bad_config,        ///< a campaign config is malformed; context names file:line
  bad_task,          ///< a task file is malformed; context names file:line
  io_failed,         ///< a file or directory operation failed
  store_failed,      ///< an LMDB call failed (context has mdb_strerror)
  store_map_full,    ///< MDB_MAP_FULL
  store_corrupt,     ///< a record failed to decode or has an unknown schema version
  not_found,         ///< an id was looked up and is absent
  sandbox_failed,    ///< the sandbox could not start a process (fork, pipes, exec)
  compile_failed,    ///< a trusted compile (harness, reference) failed
  reference_failed,  ///< the reference implementation crashed or timed out
  queue_full,        ///< back-pressure: try again later
  budget_exhausted,  ///< a campaign budget is spent
  llm_failed,        ///< the policy backend failed after its retries
  bad_request,       ///< a malformed message or HTTP request
  cancelled,         ///< work abandoned because the campaign stops
  internal,          ///< a bug in kforge
  llm_unreachable,   ///< the model endpoint is down, overloaded or timing out (retries spent); wait
  timed_out,         ///< a trusted compile or run (harness, reference) ran past its wall-clock limit
  refused,  ///< a remote worker's join failed the secret's challenge (or the worker refused the coordinator)
};

/// The CAF error category atom of kforge errors.
constexpr caf::atom_value error_category = caf::atom("kforge");

/// Returns the name of `code`, e.g. "bad_config".
[[nodiscard]] const char* to_string(errc code) noexcept;

/// Makes a CAF error of category `kforge` carrying `code` and a one-line context.
[[nodiscard]] caf::error make_error(errc code, std::string context);

/// Makes a CAF error without context (lets `caf::error err = errc::x;` work).
[[nodiscard]] caf::error make_error(errc code);

/// Renders any CAF error as one line without needing an actor system:
/// "bad_config: campaign.toml:3: unknown key 'foo'".
[[nodiscard]] std::string describe(const caf::error& err);

/// Returns the kforge code of `err`, or errc::none if it is not a kforge error.
[[nodiscard]] errc code_of(const caf::error& err) noexcept;

/// True if a failure with `code` may pass when the same work is tried again later: a trusted
/// compile or run killed by its wall clock on a loaded machine (timed_out), a process the
/// sandbox could not start (sandbox_failed), a file operation that failed (io_failed).
[[nodiscard]] constexpr bool is_transient(errc code) noexcept {
  return code == errc::timed_out || code == errc::sandbox_failed || code == errc::io_failed;
}

}  // namespace kforge

#ifdef KFORGE_ENABLE_ASSERTS
#include <cstdio>
#include <cstdlib>
/// Checks an invariant of kforge's own code; on in debug, sanitizer and CI builds.
#define KFORGE_ASSERT(cond)                                                                 \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: KFORGE_ASSERT failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)
#else
#define KFORGE_ASSERT(cond) static_cast<void>(sizeof(cond))
#endif
