#pragma once

#include "actors/messages.hpp"
#include "actors/retriever/ranking.hpp"
#include "actors/type_ids.hpp"

#include <caf/typed_actor.hpp>

#include <memory>
#include <vector>

namespace kforge::memory {
class store;
}

namespace kforge::actors {

class memory_index;

/// Keeps an in-memory index of the memory items and answers value-driven
/// context queries. Loaded from the store at spawn; kept current by the curator.
using retriever_actor = caf::typed_actor<
    // task actor -> retriever: the items for one step's context, best first. Never fails;
    // an empty reply means memory has nothing for this query.
    caf::replies_to<retrieve_atom, context_query>::with<context_reply>,
    // curator -> retriever: items created or changed by a commit (values included).
    caf::reacts_to<items_atom, std::vector<memory::memory_item>>>;

/// Spawns a retriever whose index starts with every item in `store` (one read
/// transaction at spawn). `store` must outlive the call only.
[[nodiscard]] retriever_actor spawn_retriever(caf::actor_system& sys, memory::store& store,
                                              ranking_config cfg);

/// Spawns a retriever over an index built already (a launch builds it in the store check's pass).
[[nodiscard]] retriever_actor spawn_retriever(caf::actor_system& sys, std::shared_ptr<memory_index> index,
                                              ranking_config cfg);

/// Spawns a retriever over `items` (tests, warm starts).
[[nodiscard]] retriever_actor spawn_retriever(caf::actor_system& sys, std::vector<memory::memory_item> items,
                                              ranking_config cfg);

}  // namespace kforge::actors
