#pragma once

// The campaign supervisor: one per campaign. Opens (or resumes) the campaign
// through the curator, spawns and monitors one task actor per unfinished
// task, grants evaluations from the campaign budget, enforces the wall-time
// budget, reports progress to a listener, and records how the run ended.
//
//   starting --(campaign loaded)--> running --(all tasks ended)--> closing --> ended (quit)
//                                     \--(stop | wall budget | LLM budget)--> stopping --/
//   running <--(pause / resume)--> paused: grants are held, in-flight work finishes
//
// The phases and their transitions live in supervisor_phases.hpp. Time comes
// from the actor clock: the wall budget is a `wall` message the supervisor
// sends itself with delayed_send, so CAF's test coordinator drives it.

#include "actors/task/task_actor.hpp"
#include "actors/type_ids.hpp"
#include "runtime/base/task.hpp"
#include "runtime/campaign/config.hpp"
#include "runtime/campaign/owner_lock.hpp"

#include <caf/typed_actor.hpp>

#include <chrono>
#include <memory>

namespace kforge::runtime {

/// Receives a campaign's progress (the CLI, the API server).
using progress_listener = caf::typed_actor<
    // supervisor -> listener: a snapshot, every tick.
    caf::reacts_to<progress_atom, actors::campaign_progress>,
    // supervisor -> listener: the final snapshot; the supervisor has quit.
    caf::reacts_to<done_atom, actors::campaign_progress>>;

/// The supervisor's interface: what task actors use, plus control.
using supervisor_actor = actors::task_owner_actor::extend<
    // anyone -> supervisor: the current snapshot.
    caf::replies_to<progress_atom>::with<actors::campaign_progress>,
    // CLI / API -> supervisor: stop gracefully (in-flight work is committed; resumable).
    caf::reacts_to<stop_atom>,
    // daemon / API -> supervisor: stop granting evaluations; in-flight ones finish and commit.
    caf::reacts_to<pause_atom>,
    // daemon / API -> supervisor: grant evaluations again (answers the grants held while paused).
    caf::reacts_to<resume_atom>,
    // supervisor -> itself: periodic bookkeeping (progress to the listener).
    caf::reacts_to<caf::tick_atom>,
    // supervisor -> itself (delayed_send): the wall-time budget may be spent; stops the
    // campaign if it is, else waits for the rest.
    caf::reacts_to<wall_atom>>;

/// What a supervisor needs.
struct supervisor_setup {
  campaign_config config;
  std::shared_ptr<const kforge::task_map> tasks;
  actors::retriever_actor retriever;
  actors::llm_proxy_actor llm;
  actors::verifier_actor verifier;
  actors::curator_actor curator;
  progress_listener listener;
  std::chrono::milliseconds tick{500};
  actors::roofline_config roofline;  ///< the measured peaks for the performance state
  std::shared_ptr<const actors::technique_catalogues> techniques;  ///< by backend; null: none drawn
  /// The campaign's owner lock when the launcher handed it over (the daemon): held while the
  /// supervisor runs, released just before it reports `done`. Null: the launcher holds it.
  std::shared_ptr<const owner_lock> owner;
};

/// The order in which a campaign's tasks start: families in `family_order`
/// first, in that order, then the others; by task id within a family.
[[nodiscard]] std::vector<std::string> task_start_order(const kforge::task_map& tasks,
                                                        const std::vector<std::string>& family_order);

/// Spawns the supervisor; it starts at once. The listener gets `done` when it ends.
[[nodiscard]] supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_setup setup);

}  // namespace kforge::runtime
