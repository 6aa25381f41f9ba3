#include "actors/retriever/retriever_actor.hpp"

#include "memory/store.hpp"
#include "runtime/base/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>

namespace kforge::actors {

namespace {

struct retriever_state {
  std::map<std::string, memory::memory_item> index;  // by id, so updates replace
  std::vector<memory::memory_item> pool;             // flattened view, rebuilt lazily
  bool pool_stale = true;
  ranking_config cfg;
  static inline const char* name = "kforge.retriever";
};

retriever_actor::behavior_type retriever_behavior(retriever_actor::stateful_pointer<retriever_state> self,
                                                  std::vector<memory::memory_item> items,
                                                  ranking_config cfg) {
  self->state.cfg = cfg;
  for (auto& item : items) {
    auto id = item.id;
    self->state.index.emplace(std::move(id), std::move(item));
  }
  return {
      [self](retrieve_atom, const context_query& query) -> context_reply {
        auto& st = self->state;
        if (st.pool_stale) {
          st.pool.clear();
          st.pool.reserve(st.index.size());
          for (const auto& [id, item] : st.index)
            st.pool.push_back(item);
          st.pool_stale = false;
        }
        return context_reply{rank_items(st.pool, query, st.cfg), choose_kb(st.pool, query, st.cfg),
                             technique_evidence(st.pool, query, st.cfg)};
      },
      [self](items_atom, std::vector<memory::memory_item>& changed) {
        for (auto& item : changed) {
          auto id = item.id;
          self->state.index[id] = std::move(item);
        }
        self->state.pool_stale = true;
      },
  };
}

}  // namespace

retriever_actor spawn_retriever(caf::actor_system& sys, std::vector<memory::memory_item> items,
                                ranking_config cfg) {
  return sys.spawn(retriever_behavior, std::move(items), cfg);
}

retriever_actor spawn_retriever(caf::actor_system& sys, memory::store& store, ranking_config cfg) {
  std::vector<memory::memory_item> items;
  auto tx = store.read();
  auto loaded = tx ? memory::list_memory(*tx) : caf::expected<std::vector<memory::memory_item>>{tx.error()};
  if (loaded) {
    items = std::move(*loaded);
  } else {
    log::logger{"kforge.retriever"}.error("cannot load memory items; starting empty",
                                          {{"error", describe(loaded.error())}});
  }
  return spawn_retriever(sys, std::move(items), cfg);
}

}  // namespace kforge::actors
