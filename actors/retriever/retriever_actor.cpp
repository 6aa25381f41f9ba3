#include "actors/retriever/retriever_actor.hpp"

#include "actors/retriever/memory_index.hpp"
#include "memory/store.hpp"
#include "runtime/base/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>

namespace kforge::actors {

namespace {

struct retriever_state {
  memory_index index;  // updated in place by each commit
  ranking_config cfg;
  static inline const char* name = "kforge.retriever";
};

retriever_actor::behavior_type retriever_behavior(retriever_actor::stateful_pointer<retriever_state> self,
                                                  std::shared_ptr<memory_index> index, ranking_config cfg) {
  self->state.cfg = cfg;
  self->state.index = std::move(*index);
  return {
      [self](retrieve_atom, const context_query& query) -> context_reply {
        return self->state.index.query(query, self->state.cfg);
      },
      [self](items_atom, std::vector<memory::memory_item>& changed) {
        self->state.index.update(std::move(changed));
      },
  };
}

}  // namespace

retriever_actor spawn_retriever(caf::actor_system& sys, std::vector<memory::memory_item> items,
                                ranking_config cfg) {
  return sys.spawn(retriever_behavior, std::make_shared<memory_index>(std::move(items), cfg), cfg);
}

retriever_actor spawn_retriever(caf::actor_system& sys, std::shared_ptr<memory_index> index,
                                ranking_config cfg) {
  return sys.spawn(retriever_behavior, std::move(index), cfg);
}

retriever_actor spawn_retriever(caf::actor_system& sys, memory::store& store, ranking_config cfg) {
  // Streamed into the index: the decoded items are never all held at once.
  auto index = std::make_shared<memory_index>(cfg);
  auto tx = store.read();
  auto err = tx ? memory::for_each_memory(*tx,
                                          [&](memory::memory_item&& item) -> caf::error {
                                            index->put(item);
                                            return {};
                                          })
                : tx.error();
  if (err) {
    log::logger{"kforge.retriever"}.error("cannot load memory items; starting empty",
                                          {{"error", describe(err)}});
    index = std::make_shared<memory_index>(cfg);
  }
  return sys.spawn(retriever_behavior, std::move(index), cfg);
}

}  // namespace kforge::actors
