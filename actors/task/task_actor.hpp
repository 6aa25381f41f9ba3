#pragma once

// One task actor per operator runs its draft -> refine -> done state machine
// (task_phase.hpp; the phase is part of the stored record):
//
//   draft --(first feasible, timed candidate)--> refine --(plateau | budget)--> done
//     \------------------------(budget, exhausted, stop)---------------------/
//
//   start: load committed candidates (resume) -> reference timing
//   step:  plan: draft, or refine a parent (parent_choice.hpp) -> retrieve context and
//          knowledge-base picks -> draw a technique for the parent's state (refine with a
//          catalogue: technique_choice.hpp) -> propose k -> grant? -> verify each -> record each
//          (phase rules in step_rules.hpp)          \-> next step once all are committed
//   waits: queue_full -> back off and verify again; llm_failed -> ask again (retry_policy.hpp)
//   done:  budget, plateau, exhausted search space, campaign stop
//   end:   the best re-measured against the reference (interleaved, fresh processes) and the
//          figure recorded, once per best (final_rounds; a resumed task with that best skips it)
//
// It owns its task_record; every change travels to the curator inside an
// experience, so a resumed task continues from the last commit. Every wait is a
// delayed_send to itself, so it runs on the actor clock.

#include "actors/curator/curator_actor.hpp"
#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/messages.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/task/archive.hpp"
#include "actors/task/step_rules.hpp"
#include "actors/task/technique_catalogue.hpp"
#include "actors/task/technique_choice.hpp"
#include "actors/type_ids.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "memory/records.hpp"
#include "runtime/base/task.hpp"

#include <caf/typed_actor.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace kforge::actors {

/// The part of the campaign supervisor a task actor talks to.
using task_owner_actor = caf::typed_actor<
    // task -> supervisor: ask for up to n evaluations of the campaign budget; replies with
    // how many were granted (0 = the campaign budget is spent or the campaign stops).
    caf::replies_to<grant_atom, std::string, int32_t>::with<int32_t>,
    // task -> supervisor: where the task stands, after every commit and when it ends.
    caf::reacts_to<progress_atom, task_progress>>;

/// A task actor's interface. It quits when the task is done or stopped; owners monitor it.
using task_actor = caf::typed_actor<
    // supervisor -> task: begin (or resume) the search.
    caf::reacts_to<start_atom>,
    // supervisor -> task: finish what is in flight, commit it, and quit. With `true` the campaign
    // ends here (its wall-time or LLM budget is spent): the best is re-measured as when a task
    // ends. With `false` it is interrupted (a resume goes on, and measures when the task ends), so
    // a stop of hundreds of tasks does not wait for hundreds of final measurements.
    caf::reacts_to<stop_atom, bool>,
    // task -> itself: retry the verifications the verifier refused with errc::queue_full.
    caf::reacts_to<retry_atom>,
    // task -> itself: ask the policy again after it failed with errc::llm_failed.
    caf::reacts_to<propose_atom>>;

/// Everything a task actor needs; from the campaign config.
struct task_config {
  std::string campaign;
  uint64_t seed = 0;
  step_config steps;
  int32_t candidates_per_step = 2;
  int32_t context_items = 4;
  int32_t feedback_items = 3;
  int32_t max_duplicate_steps = 8;  ///< steps in a row that propose nothing new before "exhausted"
  std::chrono::milliseconds retry_backoff{
      200};                  ///< first wait after errc::queue_full; doubles, capped at 1 s
  roofline_config roofline;  ///< measured peaks for the performance state
  archive_config archive;    ///< the task's archive of parents
  int32_t kb_items = 0;      ///< knowledge-base optimizations asked for per refine step (0 = none)
  std::string device = "cpu";
  /// Re-asks after errc::llm_failed (the proxy's own retries spent) before "policy failed";
  /// waits retry_backoff x 4^n between them (reask_policy).
  int32_t policy_reasks = 3;
  /// While the model is unreachable (errc::llm_unreachable) the task waits and asks again:
  /// retry_backoff x 4^n, capped at outage_max_wait, until outage_horizon after the first failure.
  std::chrono::milliseconds outage_max_wait{60000};
  std::chrono::milliseconds outage_horizon{std::chrono::hours{6}};
  std::string policy = "offline";  ///< the policy's kind: the retriever picks the items it can use
  /// Characters of one candidate's feedback line (failing gates' details included) that reach
  /// the policy; details are kept whole up to this and cut at a line end past it.
  int32_t feedback_chars = 2000;
  /// Technique catalogues by backend (null or no entry for the task's backend: no technique is
  /// drawn and named techniques are recorded as the model wrote them). Set for the openai policy.
  std::shared_ptr<const technique_catalogues> techniques;
  technique_config technique;  ///< how a refine step draws its technique
  /// When the task ends (done or stopped) with a best not yet re-measured, the verifier runs it
  /// and the reference alternately this many rounds in fresh processes; the figure goes into the
  /// record (task_record::final_*). 0 = never.
  int32_t final_rounds = 0;
};

/// The actors a task talks to.
struct task_peers {
  task_owner_actor owner;
  retriever_actor retriever;
  llm_proxy_actor llm;
  verifier_actor verifier;
  curator_actor curator;
};

/// Spawns the task actor for `task`, continuing from `record` (a fresh record for a new task).
/// A `task_id` missing from `tasks` ends the actor at start (progress sent, nothing recorded).
[[nodiscard]] task_actor spawn_task(caf::actor_system& sys, std::shared_ptr<const kforge::task_map> tasks,
                                    std::string task_id, memory::task_record record, task_config cfg,
                                    task_peers peers);

}  // namespace kforge::actors
