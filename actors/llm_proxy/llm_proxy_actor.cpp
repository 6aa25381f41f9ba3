#include "actors/llm_proxy/llm_proxy_actor.hpp"

#include "runtime/error.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace kforge::actors {

namespace {

struct llm_proxy_state {
  std::shared_ptr<const hardware::task_map> tasks;
  llm_proxy_config cfg;
  static inline const char* name = "kforge.llm_proxy";
};

llm_proxy_actor::behavior_type llm_proxy_behavior(llm_proxy_actor::stateful_pointer<llm_proxy_state> self,
                                                  std::shared_ptr<const hardware::task_map> tasks,
                                                  llm_proxy_config cfg) {
  self->state.tasks = std::move(tasks);
  self->state.cfg = std::move(cfg);
  return {
      [self](propose_atom, const policy_request& request) -> caf::result<policy_reply> {
        const auto& st = self->state;
        auto it = st.tasks->find(request.task_id);
        if (it == st.tasks->end())
          return make_error(errc::bad_request, "unknown task " + request.task_id);
        if (st.cfg.policy != "offline")
          return make_error(errc::bad_request, "unknown policy " + st.cfg.policy);
        offline_policy policy{st.cfg.offline};
        return policy_reply{policy.propose(it->second, request), "offline", "knob-search"};
      },
  };
}

}  // namespace

llm_proxy_actor spawn_llm_proxy(caf::actor_system& sys, std::shared_ptr<const hardware::task_map> tasks,
                                llm_proxy_config cfg) {
  return sys.spawn(llm_proxy_behavior, std::move(tasks), std::move(cfg));
}

}  // namespace kforge::actors
