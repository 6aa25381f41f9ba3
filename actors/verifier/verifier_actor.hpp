#pragma once

#include "actors/messages.hpp"
#include "actors/type_ids.hpp"
#include "hardware/backend.hpp"
#include "runtime/base/task.hpp"

#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>

#include <memory>
#include <set>
#include <string>

namespace kforge::memory {
class store;
}

namespace kforge::actors {

/// Runs the gates for candidates of one device. The hack gate runs inline,
/// compiles run in parallel on `compile_jobs` detached workers, and one
/// detached run worker holds the device alone for correctness and timing.
using verifier_actor = caf::typed_actor<
    // task actor -> verifier: evaluate one candidate. A failing kernel is a verdict,
    // not an error; a duplicate is answered from the verdict cache or joins the
    // identical request in flight. Errors: errc::queue_full (back-pressure: retry
    // later), errc::reference_failed, errc::bad_request, errc::cancelled (draining).
    caf::replies_to<verify_atom, verify_request>::with<verification>,
    // task actor -> verifier: the reference's timing for a task (prepares the task
    // first if needed). Errors: errc::reference_failed, errc::bad_request.
    caf::replies_to<reference_atom, std::string>::with<kforge::timing_stats>,
    // task actor -> verifier: the task's best (request.source) and its reference built once and
    // run alternately in fresh processes for `rounds` rounds, on the run stage alone (after the
    // task's reference is prepared, before any queued candidate). Errors:
    // errc::reference_failed (the reference cannot be timed as a candidate here),
    // errc::bad_request, errc::cancelled (draining), the backend's.
    caf::replies_to<remeasure_atom, verify_request, int32_t>::with<interleaved_timing>,
    // supervisor -> verifier: queue depths and run-stage utilisation.
    caf::replies_to<stats_atom>::with<verifier_stats>,
    // supervisor -> verifier: stop the workers and quit once queued work is answered.
    caf::reacts_to<drain_atom>,
    // daemon -> verifier (local only): replace the task catalog with a superset of it, so a
    // pool shared by several campaigns learns the tasks of a campaign that starts later.
    caf::reacts_to<load_atom, std::shared_ptr<const kforge::task_map>>,
    // verifier -> itself (a router forwards it): after a transient failure and its backoff, try
    // the task's reference preparation again.
    caf::reacts_to<retry_atom, std::string>,
    // task actor -> verifier: the task stops; of its candidates with these hashes, those not
    // started yet (queued, or compiled and waiting for the run stage) are answered
    // errc::cancelled and never run, so that a stop does not wait for the queue.
    caf::reacts_to<stop_atom, std::string, std::set<std::string>>>;

/// Where a pool sends the references it prepared, to be cached in the store: the curator, the
/// store's only writer (a curator_actor handle converts to it).
using reference_sink =
    caf::typed_actor<caf::replies_to<record_atom, memory::reference_record>::with<int64_t>>;

/// Settings of one verifier pool.
struct verifier_config {
  int32_t compile_jobs = 1;              ///< parallel compile workers
  int32_t max_queue = 256;               ///< waiting verifications before errc::queue_full
  bool verdict_cache = true;             ///< answer duplicates from earlier verdicts
  bool coalesce = true;                  ///< identical requests in flight share one evaluation
  int32_t verdict_cache_entries = 4096;  ///< in-memory verdicts kept (the store keeps all)
  int32_t compile_cache_entries = 16;    ///< built binaries kept for re-runs (0 = off)
  bool detached = true;  ///< workers on their own threads where the backend blocks (tests: false)
  /// A candidate whose built machine code (build_result::object_hash) equals an earlier one's
  /// gets that verdict without running: a no-op source change cannot be timed into progress.
  bool object_cache = true;
  /// A verdict flagged by the backend, or with a speedup over the reference above this (0 = the
  /// backend's flag only), is run once more in a fresh process; if the two medians differ by
  /// more than `noise` (relative) the verdict is suspect (gate_suspect) with the reason.
  double flag_speedup = 0;
  double noise = 0.10;      ///< relative spread of medians of one binary between runs
  bool quiet_runs = false;  ///< compiles and timed runs never overlap (verify_schedule::set_quiet_runs)
  /// References are restored from the store (table `references`, keyed by build signature,
  /// device and task; used only for the task's current definition) and, once prepared, sent to
  /// the reference sink to be cached there. Needs a store (reads) and a sink (writes).
  bool reference_cache = true;
  int64_t reference_cache_max_bytes = int64_t{256} << 20;  ///< larger reference data is not cached
  /// Tries of a reference preparation that fails transiently (is_transient: a compile or run
  /// past its wall clock under load); after the last the task is left as never prepared, so a
  /// later request or a resume starts over. At least 1.
  int32_t reference_attempts = 3;
  /// Wait before the first retry; doubled before each further one.
  std::chrono::milliseconds reference_backoff{2000};
};

/// Spawns the pool for `backend`'s device over `tasks`. With `store` (may be
/// null; must outlive the pool), verdicts committed by the curator, in this or
/// an earlier campaign, answer duplicates without compiling or running, and cached references
/// are restored instead of prepared; with `sink` (may be null) the references it prepares are
/// cached (cfg.reference_cache).
[[nodiscard]] verifier_actor spawn_verifier(caf::actor_system& sys,
                                            std::shared_ptr<hardware::backend> backend,
                                            std::shared_ptr<const kforge::task_map> tasks,
                                            verifier_config cfg, const memory::store* store = nullptr,
                                            reference_sink sink = {});

/// The verdict of a flagged candidate's second, fresh-process run: the second when that one
/// failed a gate; `first` marked suspect, with both medians as the reason, when the second is
/// slower by more than `noise`; else `first` with the slower of the two timings (its latency
/// detail says it held). A faster second run holds.
[[nodiscard]] kforge::verdict judge_remeasurement(kforge::verdict first, const kforge::verdict& second,
                                                  double noise);

/// The signature a pool's cached references are kept under (table `references`): the backend's
/// build signature and this host (hardware::machine_signature: CPU model, cores, vector units,
/// kernel), so a store copied to another machine never lends it this machine's timings.
[[nodiscard]] std::string reference_signature(const hardware::backend& backend);

/// The verdict-cache key of a candidate: SHA-256 of (build signature, task definition hash, source).
[[nodiscard]] std::string verdict_key(const std::string& build_signature, const std::string& definition_hash,
                                      const std::string& source);

}  // namespace kforge::actors
