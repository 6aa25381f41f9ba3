#pragma once

// The actor settings a campaign config gives, shared by `kforge run` and the
// daemon so that a campaign behaves the same under both.

#include "actors/curator/curator_actor.hpp"
#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/task/technique_catalogue.hpp"
#include "actors/task/technique_choice.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "memory/store.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/expected.hpp>

#include <memory>

namespace kforge::runtime {

/// The retriever's ranking: [memory] switches, λ, ε and the knowledge-base constants.
[[nodiscard]] actors::ranking_config ranking_of(const campaign_config& cfg);

/// The curator's value updates and consolidation ([memory]).
[[nodiscard]] actors::curator_config curator_config_of(const campaign_config& cfg);

/// The memory actors of a campaign over its store.
struct memory_actors {
  actors::retriever_actor retriever;
  actors::curator_actor curator;
};

/// Reads every record of `store` (memory::check_records: a damaged store is refused before
/// anything runs) and, in the same pass, builds the retriever's index and the curator's
/// consolidation evidence from the decoded memory items, then spawns both (the curator
/// detached) and drops the pages the pass read from the process's resident set. One decode of
/// the memory instead of three. Errors: errc::store_corrupt (with the recovery hint),
/// errc::store_failed.
[[nodiscard]] caf::expected<memory_actors> spawn_memory(caf::actor_system& sys, memory::store& store,
                                                        const campaign_config& cfg);

/// A verifier pool's queue and cache settings ([verifier]).
[[nodiscard]] actors::verifier_config verifier_config_of(const campaign_config& cfg);

/// The LLM proxy's settings; for policy "openai" its prompt templates are loaded from
/// [llm] prompts, and the store (which must outlive the proxy) serves its response
/// cache. Set `curator` before spawning: the openai policy records every call through it.
/// Errors: errc::bad_config (a template error, with file:line:column).
[[nodiscard]] caf::expected<actors::llm_proxy_config> llm_proxy_config_of(const campaign_config& cfg,
                                                                          memory::store& store);

/// The technique catalogues of the backends among `tasks`, for policy "openai" (else none):
/// [llm] techniques is one catalogue file for every backend or a folder of <backend>.toml. A
/// backend whose file is missing gets none when the key was left at its default. Reads files.
/// Errors: errc::bad_config ("FILE:LINE: ..." for a malformed catalogue; a missing file the
/// config named).
[[nodiscard]] caf::expected<std::shared_ptr<const actors::technique_catalogues>> techniques_of(
    const campaign_config& cfg, const kforge::task_map& tasks);

/// How a task's refine step draws its technique ([llm] technique_*, [memory] kb_*).
[[nodiscard]] actors::technique_config technique_config_of(const campaign_config& cfg);

}  // namespace kforge::runtime
