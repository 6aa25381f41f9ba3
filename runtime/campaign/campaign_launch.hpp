#pragma once

// One campaign launch, shared by `kforge run` and the daemon so that a campaign
// starts the same under both. Two halves:
//   prepare_campaign   blocking: loads the tasks and the prompt templates, reads a
//                      `[memory] from` source and the machine peaks, makes the
//                      device's backends, and has the curator (the store's only
//                      writer) commit the import and fresh peaks. Runs where blocking
//                      is allowed: the CLI's main thread or a detached actor.
//   spawn_campaign     spawns the campaign's LLM proxy and supervisor over the shared
//                      actors; never blocks.

#include "actors/curator/curator_actor.hpp"
#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/task/step_rules.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "hardware/backend.hpp"
#include "memory/store.hpp"
#include "runtime/base/task.hpp"
#include "runtime/campaign/campaign_supervisor.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kforge::runtime {

/// The part of a launch that failed; the CLI's exit code depends on it.
enum class launch_step { memory_import, roofline, backends, llm };

/// How to prepare a campaign.
struct prepare_options {
  bool remeasure_peaks = false;  ///< measure the peaks even when the store caches them
  bool make_backends = true;     ///< false: the caller already has a verifier pool for the device
};

/// Everything a campaign needs before its supervisor starts; the store's writes are done.
struct campaign_prep {
  campaign_config cfg;
  std::shared_ptr<const kforge::task_map> tasks;
  actors::llm_proxy_config llm;                                    ///< its curator is set by spawn_campaign
  std::shared_ptr<const actors::technique_catalogues> techniques;  ///< by backend (openai policy)
  actors::roofline_config roofline;
  std::string roofline_note;  ///< one line: which peaks the roofline uses
  int64_t imported = 0;       ///< memory items copied from `[memory] from` (0 when none or done before)
  std::vector<std::shared_ptr<hardware::backend>> backends;  ///< empty unless make_backends
  /// The campaign's owner lock, when the caller took it for the supervisor to hold (the daemon);
  /// spawn_campaign hands it over. Null: the caller holds it (`kforge run`).
  std::shared_ptr<const owner_lock> owner;
};

/// The tasks of `cfg` (its globs, relative to its file), by id, that its policy can serve:
/// the offline policy needs a template (a KernelBench problem without a candidate generator
/// serves model policies only). The ids left out go to `left_out`, or, when it is null, to one
/// warning that names them. Reads files: blocks. Errors: those of hardware::load_tasks (errc::bad_config,
/// errc::bad_task); errc::bad_config when the policy can serve none of the tasks.
[[nodiscard]] caf::expected<std::shared_ptr<const kforge::task_map>> load_campaign_tasks(
    const campaign_config& cfg, std::vector<std::string>* left_out = nullptr);

/// The limits a campaign's tasks set on its config: tasks x [budget] evaluations_per_task must fit in
/// 64 bits (when [budget] evaluations is 0), and the references of every task with [verifier] seeds
/// input sets (hardware::reference_memory_bytes) in `available_bytes` (unknown: not checked; device
/// "null" keeps none). load_campaign_tasks applies it with this machine's MemAvailable.
/// Errors: errc::bad_config naming the config file, the key and the figures.
[[nodiscard]] caf::error check_campaign_limits(const campaign_config& cfg, const kforge::task_map& tasks,
                                               std::optional<uint64_t> available_bytes);

/// One line for the tasks `load_campaign_tasks` left out under `policy`, "" when none.
[[nodiscard]] std::string left_out_note(const std::vector<std::string>& left_out, size_t loaded,
                                        const std::string& policy);

/// Prepares `cfg` with its `tasks` (load_campaign_tasks) over `store` and commits its memory import and fresh
/// peaks through `curator` (a blocking request each). Blocks: never call it on a scheduler thread. On error
/// `failed` names the step. Errors: those of read_memory_source, prepare_roofline, make_backends and
/// llm_proxy_config_of, and the curator's errc::store_*.
[[nodiscard]] caf::expected<campaign_prep> prepare_campaign(caf::actor_system& sys, memory::store& store,
                                                            campaign_config cfg,
                                                            std::shared_ptr<const kforge::task_map> tasks,
                                                            const actors::curator_actor& curator,
                                                            const prepare_options& opts, launch_step& failed);

/// The verifier of a device: one pool per backend, several behind a router that deals out the
/// tasks (one per GPU with device "cuda:all"). `store` must outlive the pools; the pools read
/// cached references from it and send the references they prepare to `curator` to be cached.
[[nodiscard]] actors::verifier_actor spawn_verifier_pools(
    caf::actor_system& sys, const std::vector<std::shared_ptr<hardware::backend>>& backends,
    std::shared_ptr<const kforge::task_map> tasks, const campaign_config& cfg, memory::store& store,
    const actors::curator_actor& curator);

/// The actors a campaign shares with others (or, under `kforge run`, owns alone).
struct shared_actors {
  actors::retriever_actor retriever;
  actors::curator_actor curator;
  actors::verifier_actor verifier;
};

/// A started campaign: its supervisor and its LLM proxy (which the owner stops after `done`).
struct launched_campaign {
  supervisor_actor supervisor;
  actors::llm_proxy_actor llm;
};

/// Spawns the campaign's LLM proxy and supervisor; the supervisor starts at once and reports
/// to `listener` every `tick`. Never blocks.
[[nodiscard]] launched_campaign spawn_campaign(caf::actor_system& sys, campaign_prep prep,
                                               const shared_actors& shared, progress_listener listener,
                                               std::chrono::milliseconds tick);

}  // namespace kforge::runtime
