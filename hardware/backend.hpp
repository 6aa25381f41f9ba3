#pragma once

#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <caf/meta/type_name.hpp>

#include <string>
#include <utility>

namespace kforge::hardware {

/// A compiled candidate, ready for the run stage (serializable: it crosses actors).
struct build_result {
  bool ok = false;
  std::string binary;  ///< path of the executable; empty if !ok
  std::string dir;     ///< the candidate's build directory, removed by discard()
  std::string output;  ///< compiler output, truncated
  double wall_ms = 0;
  /// SHA-256 of the built machine code (the linked binary's bytes); empty = unknown. A backend
  /// may fill it; the verifier pool hashes `binary` itself when it is empty and readable.
  std::string object_hash;
  /// Set (with ok false) when gate 1, run by the compile worker before the compile, refused the
  /// source: why. Nothing was compiled.
  std::string rejected;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, build_result& x) {
  return f(caf::meta::type_name("build_result"), x.ok, x.binary, x.dir, x.output, x.wall_ms, x.object_hash,
           x.rejected);
}

/// A task's reference after the first stage of its preparation (backend::build_reference).
struct reference_build {
  /// The reference data came from the cache entry given: the task is prepared, nothing is left
  /// to run, and `timing` is the reference's timing.
  bool restored = false;
  timing_stats timing;   ///< when restored
  build_result program;  ///< the built reference program for run_reference (when not restored;
                         ///< a backend with nothing to build leaves it empty)
  std::string note;      ///< why a cache entry that was given is not used; empty otherwise
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reference_build& x) {
  return f(caf::meta::type_name("reference_build"), x.restored, x.timing, x.program, x.note);
}

/// What a reference's timed run gives (backend::run_reference).
struct reference_run {
  timing_stats timing;
  /// The task's reference data in the backend's own format, for a later build_reference to
  /// restore without running anything (the verifier keeps it in the store); empty = not cacheable.
  std::string cache;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reference_run& x) {
  return f(caf::meta::type_name("reference_run"), x.timing, x.cache);
}

/// A device's compile, run and profile steps, as the verifier pool drives them.
/// Threading contract: hack_check, compile, discard and build_reference may run concurrently on
/// any threads (the pool's compile workers); run_reference and run are called by the pool's
/// single run stage only; a task's reference is prepared (restored by build_reference, or built
/// and then run by run_reference) before any of its candidates is compiled.
class backend {
 public:
  virtual ~backend() = default;

  /// The device this backend runs on, e.g. "cpu" or "cuda:0".
  [[nodiscard]] virtual std::string device() const = 0;

  /// Everything besides the task and the source that decides a verdict: device,
  /// compiler and its version, flags, correctness and timing settings. Part of
  /// the verdict-cache key, so that changing any of them invalidates the cache.
  [[nodiscard]] virtual std::string build_signature() const = 0;

  /// Gate 1: static checks on the source, before anything is compiled. May take a while (a
  /// preprocessor or parser in a sandbox): the pool calls it on a compile worker.
  [[nodiscard]] virtual gate_result hack_check(const task_def& task, const std::string& source) const = 0;

  /// Reference preparation, stage 1 (a compile worker): builds what the task's candidates need
  /// (the harness) and the reference program. With a non-empty `cached` (what run_reference gave
  /// as `cache` for this task, definition and build signature, in this or an earlier process),
  /// restores the reference data from it instead and builds no reference program; a `cached`
  /// that cannot be restored is ignored (the result says why in `note`) and the reference is
  /// built. Errors: errc::compile_failed (harness or reference does not compile),
  /// errc::timed_out (a compile ran past its wall-clock limit; may pass on a retry),
  /// errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] virtual caf::expected<reference_build> build_reference(const task_def& task,
                                                                       const std::string& cached) = 0;

  /// Reference preparation, stage 2 (the run stage): runs the reference built by build_reference,
  /// keeps its outputs for the task's candidates, times it and removes the program. Errors:
  /// errc::reference_failed, errc::timed_out (the reference ran past its wall-clock limit),
  /// errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] virtual caf::expected<reference_run> run_reference(const task_def& task,
                                                                   const reference_build& built) = 0;

  /// Both stages in one call, without a cache (tools, tests, `kforge verify`): the reference's
  /// timing. Errors: those of build_reference and run_reference.
  [[nodiscard]] caf::expected<timing_stats> prepare(const task_def& task);

  /// Gate 2: compiles a candidate in the sandbox. A compile error is a result with
  /// ok == false. Errors (kforge's own failures only): errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] virtual caf::expected<build_result> compile(const task_def& task, const std::string& source,
                                                            const std::string& cand_id) const = 0;

  /// Gates 3 and 4: runs a compiled candidate, checks it against the reference, times it.
  /// A failing kernel is a verdict. Errors: errc::sandbox_failed, errc::io_failed, errc::not_found.
  [[nodiscard]] virtual caf::expected<verdict> run(const task_def& task, const build_result& compiled) = 0;

  /// Removes a candidate's build products.
  virtual void discard(const build_result& compiled) const = 0;

  /// Whether compile, run and reference preparation may block their thread (a subprocess, a
  /// device, a sleep). The pool gives the workers of a backend that never blocks no threads of
  /// their own: they run on the scheduler's, which saves a thread wake-up a stage.
  [[nodiscard]] virtual bool blocks() const { return true; }
};

inline caf::expected<timing_stats> backend::prepare(const task_def& task) {
  auto built = build_reference(task, {});
  if (!built)
    return std::move(built.error());
  if (built->restored)
    return built->timing;
  auto ran = run_reference(task, *built);
  if (!ran)
    return std::move(ran.error());
  return ran->timing;
}

}  // namespace kforge::hardware
