#pragma once

// The one CAF type-ID block of kforge: every message type and atom. Register it
// on every node with cfg.add_message_types<caf::id_block::kforge>() (see
// runtime/actor_system.hpp), or types fail when they cross caf::io.

#include "actors/messages.hpp"
#include "hardware/backend.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/type_id.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

CAF_BEGIN_TYPE_ID_BLOCK(kforge, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(kforge, (kforge::knob_setting))
CAF_ADD_TYPE_ID(kforge, (kforge::gate_result))
CAF_ADD_TYPE_ID(kforge, (kforge::timing_stats))
CAF_ADD_TYPE_ID(kforge, (kforge::verdict))
CAF_ADD_TYPE_ID(kforge, (kforge::hardware::build_result))
CAF_ADD_TYPE_ID(kforge, (kforge::memory::campaign_record))
CAF_ADD_TYPE_ID(kforge, (kforge::memory::task_record))
CAF_ADD_TYPE_ID(kforge, (kforge::memory::candidate_record))
CAF_ADD_TYPE_ID(kforge, (kforge::memory::memory_item))
CAF_ADD_TYPE_ID(kforge, (kforge::memory::llm_call_record))
CAF_ADD_TYPE_ID(kforge, (std::vector<kforge::memory::task_record>))
CAF_ADD_TYPE_ID(kforge, (std::vector<kforge::memory::memory_item>))
CAF_ADD_TYPE_ID(kforge, (std::vector<kforge::memory::candidate_record>))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::context_query))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::context_reply))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::parent_info))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::policy_request))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::proposal))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::policy_reply))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::verify_request))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::verification))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::experience))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::verifier_stats))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::task_progress))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::campaign_progress))

CAF_ADD_ATOM(kforge, kforge, verify_atom, "verify")
CAF_ADD_ATOM(kforge, kforge, retrieve_atom, "retrieve")
CAF_ADD_ATOM(kforge, kforge, propose_atom, "propose")
CAF_ADD_ATOM(kforge, kforge, record_atom, "record")
CAF_ADD_ATOM(kforge, kforge, progress_atom, "progress")
CAF_ADD_ATOM(kforge, kforge, grant_atom, "grant")
CAF_ADD_ATOM(kforge, kforge, stats_atom, "stats")
CAF_ADD_ATOM(kforge, kforge, reference_atom, "reference")
CAF_ADD_ATOM(kforge, kforge, start_atom, "start")
CAF_ADD_ATOM(kforge, kforge, stop_atom, "stop")
CAF_ADD_ATOM(kforge, kforge, done_atom, "done")
CAF_ADD_ATOM(kforge, kforge, items_atom, "items")
CAF_ADD_ATOM(kforge, kforge, load_atom, "load")
CAF_ADD_ATOM(kforge, kforge, campaign_atom, "campaign")
CAF_ADD_ATOM(kforge, kforge, drain_atom, "drain")
CAF_ADD_ATOM(kforge, kforge, compiled_atom, "compiled")
CAF_ADD_ATOM(kforge, kforge, ran_atom, "ran")
CAF_ADD_ATOM(kforge, kforge, retry_atom, "retry")
// The LLM proxy: HTTP exchanges with its io thread, dispatch, usage and rewards.
CAF_ADD_TYPE_ID(kforge, (kforge::actors::http_exchange))
CAF_ADD_ATOM(kforge, kforge, http_done_atom, "httpdone")
CAF_ADD_ATOM(kforge, kforge, dispatch_atom, "dispatch")
CAF_ADD_ATOM(kforge, kforge, usage_atom, "usage")
CAF_ADD_ATOM(kforge, kforge, reward_atom, "reward")

// Control of a running campaign (CLI, API, daemon).
CAF_ADD_ATOM(kforge, kforge, pause_atom, "pause")
CAF_ADD_ATOM(kforge, kforge, resume_atom, "resume")
// A supervisor's reminder to itself that its campaign's wall-time budget may be spent.
CAF_ADD_ATOM(kforge, kforge, wall_atom, "wall")

// The curator as the only writer: imports and peaks; the daemon's timer and launches.
CAF_ADD_TYPE_ID(kforge, (kforge::actors::memory_import))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::peaks_record))
CAF_ADD_ATOM(kforge, kforge, import_atom, "import")
CAF_ADD_ATOM(kforge, kforge, peaks_atom, "peaks")
CAF_ADD_ATOM(kforge, kforge, scan_atom, "scan")
CAF_ADD_ATOM(kforge, kforge, launch_atom, "launch")

// A task's best re-measured against its reference when the task ends.
CAF_ADD_TYPE_ID(kforge, (kforge::actors::interleaved_timing))
CAF_ADD_ATOM(kforge, kforge, remeasure_atom, "remeasure")

// References prepared like candidates (build on a compile worker, timed run on the run stage)
// and cached in the store through the curator.
CAF_ADD_TYPE_ID(kforge, (kforge::hardware::reference_build))
CAF_ADD_TYPE_ID(kforge, (kforge::hardware::reference_run))
CAF_ADD_TYPE_ID(kforge, (kforge::memory::reference_record))
CAF_ADD_ATOM(kforge, kforge, built_atom, "built")

// Remote verifier workers (issue 16): a task's definition travels with its first job.
CAF_ADD_TYPE_ID(kforge, (kforge::tensor_spec))
CAF_ADD_TYPE_ID(kforge, (kforge::knob))
CAF_ADD_TYPE_ID(kforge, (kforge::task_def))
CAF_ADD_TYPE_ID(kforge, (std::vector<kforge::task_def>))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::remote_job))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::join_challenge))
CAF_ADD_TYPE_ID(kforge, (kforge::actors::worker_offer))
CAF_ADD_ATOM(kforge, kforge, join_atom, "join")
CAF_ADD_ATOM(kforge, kforge, beat_atom, "beat")
CAF_ADD_ATOM(kforge, kforge, local_atom, "local")

CAF_END_TYPE_ID_BLOCK(kforge)

// The verifier pool's task catalog travels only between local actors (never serialized).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const kforge::task_map>)
