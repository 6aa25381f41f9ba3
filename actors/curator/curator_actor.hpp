#pragma once

#include "actors/curator/insight_rules.hpp"
#include "actors/curator/memory_rules.hpp"
#include "actors/messages.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/type_ids.hpp"
#include "memory/records.hpp"

#include <caf/typed_actor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kforge::memory {
class store;
}

namespace kforge::actors {

/// The only writer of the store. Group-commits experiences (one write
/// transaction per batch of whatever arrived together; each experience is
/// one logical event), applies Q-value updates, derives memory items and
/// tells the retriever what changed.
using curator_actor = caf::typed_actor<
    // supervisor -> curator: open the campaign `rec.id`, creating it from `rec` if absent.
    // Replies with the stored record and its tasks' records. Errors: errc::store_*.
    caf::replies_to<campaign_atom, memory::campaign_record>::with<memory::campaign_record,
                                                                  std::vector<memory::task_record>>,
    // supervisor -> curator: set a campaign's status and add run wall time (ms).
    // Replies with the stored record. Errors: errc::not_found, errc::store_*.
    caf::replies_to<campaign_atom, std::string, std::string, double>::with<memory::campaign_record>,
    // task actor -> curator: the committed candidates of (campaign, task), in order.
    caf::replies_to<load_atom, std::string, std::string>::with<std::vector<memory::candidate_record>>,
    // task actor -> curator: commit one experience; replies after its group commit with the
    // campaign's committed evaluation count. A candidate already stored is not written again
    // (the reply still comes). Errors: errc::store_*.
    caf::replies_to<record_atom, experience>::with<int64_t>,
    // task actor -> curator: commit a task's record alone (a phase change with no
    // candidate, e.g. stopped by the campaign budget). Replies like the above.
    caf::replies_to<record_atom, memory::task_record>::with<int64_t>,
    // LLM proxy -> curator: record one LLM call (key = request hash). Replies like the above.
    caf::replies_to<record_atom, memory::llm_call_record>::with<int64_t>,
    // runtime -> curator: copy another store's memory items into this one, once per source
    // (`marker` records it). Items already stored keep their values; the retriever learns the
    // copied ones before the reply. Replies with the number copied (0 when the source was
    // imported before). Errors: errc::store_*.
    caf::replies_to<import_atom, memory_import>::with<int64_t>,
    // runtime -> curator: cache freshly measured machine peaks in the meta table. Replies with
    // the number of entries written. Errors: errc::store_*.
    caf::replies_to<peaks_atom, peaks_record>::with<int64_t>,
    // verifier pool -> curator: cache a task's prepared reference (its outputs and timing) in
    // table `references`, replacing the entry of an earlier definition; its own write
    // transaction. Replies with the bytes of data written. Errors: errc::bad_request, errc::store_*.
    caf::replies_to<record_atom, memory::reference_record>::with<int64_t>,
    // curator -> itself: commit what has accumulated.
    caf::reacts_to<caf::flush_atom>>;

/// Settings of the curator.
struct curator_config {
  value_config values;
  int32_t max_batch = 256;             ///< experiences per write transaction at most
  int32_t map_grow_tries = 4;          ///< MDB_MAP_FULL: double the map and retry this often
  consolidation_config consolidation;  ///< insights and retirement, every N experiences
};

/// Spawns the curator over `store`, which must outlive it. `detached` runs it on
/// its own thread (production: commits block on fsync); tests pass false.
[[nodiscard]] curator_actor spawn_curator(caf::actor_system& sys, memory::store& store,
                                          retriever_actor retriever, curator_config cfg, bool detached);

class insight_index;

/// spawn_curator with its consolidation index built already from every stored item (a launch
/// builds it in the store check's pass), instead of decoding the memory at start.
[[nodiscard]] curator_actor spawn_curator(caf::actor_system& sys, memory::store& store,
                                          retriever_actor retriever, curator_config cfg, bool detached,
                                          std::shared_ptr<insight_index> insights);

}  // namespace kforge::actors
