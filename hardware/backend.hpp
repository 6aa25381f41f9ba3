#pragma once

#include "runtime/base/error.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <caf/meta/type_name.hpp>

#include <string>

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
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, build_result& x) {
  return f(caf::meta::type_name("build_result"), x.ok, x.binary, x.dir, x.output, x.wall_ms, x.object_hash);
}

/// A device's compile, run and profile steps, as the verifier pool drives them.
/// Threading contract: hack_check, compile and discard may run concurrently on
/// any threads; prepare and run are called by the pool's single run stage only;
/// a task is prepared before any of its candidates is compiled.
class backend {
 public:
  virtual ~backend() = default;

  /// The device this backend runs on, e.g. "cpu" or "cuda:0".
  [[nodiscard]] virtual std::string device() const = 0;

  /// Everything besides the task and the source that decides a verdict: device,
  /// compiler and its version, flags, correctness and timing settings. Part of
  /// the verdict-cache key, so that changing any of them invalidates the cache.
  [[nodiscard]] virtual std::string build_signature() const = 0;

  /// Gate 1: static checks on the source, before anything is compiled.
  [[nodiscard]] virtual gate_result hack_check(const task_def& task, const std::string& source) const = 0;

  /// Builds the task's harness and reference, computes and keeps the reference
  /// outputs, and times the reference. Errors: errc::compile_failed, errc::reference_failed.
  [[nodiscard]] virtual caf::expected<timing_stats> prepare(const task_def& task) = 0;

  /// Gate 2: compiles a candidate in the sandbox. A compile error is a result with
  /// ok == false. Errors (kforge's own failures only): errc::sandbox_failed, errc::io_failed.
  [[nodiscard]] virtual caf::expected<build_result> compile(const task_def& task, const std::string& source,
                                                            const std::string& cand_id) const = 0;

  /// Gates 3 and 4: runs a compiled candidate, checks it against the reference, times it.
  /// A failing kernel is a verdict. Errors: errc::sandbox_failed, errc::io_failed, errc::not_found.
  [[nodiscard]] virtual caf::expected<verdict> run(const task_def& task, const build_result& compiled) = 0;

  /// Removes a candidate's build products.
  virtual void discard(const build_result& compiled) const = 0;
};

}  // namespace kforge::hardware
