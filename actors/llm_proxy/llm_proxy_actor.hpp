#pragma once

#include "actors/llm_proxy/offline_policy.hpp"
#include "actors/messages.hpp"
#include "hardware/task.hpp"
#include "runtime/type_ids.hpp"

#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

namespace kforge::actors {

/// Front of the policy backends: turns a step's request into candidate kernels.
using llm_proxy_actor = caf::typed_actor<
    // task actor -> proxy: propose request.k candidates. Errors: errc::bad_request
    // (unknown task or policy), errc::llm_failed (backend failed after its retries).
    caf::replies_to<propose_atom, policy_request>::with<policy_reply>>;

/// Which backend answers, and its settings; from the campaign config.
struct llm_proxy_config {
  std::string policy = "offline";  ///< offline (built in)
  offline_policy_config offline;
};

/// Spawns the proxy for the tasks in `tasks`.
[[nodiscard]] llm_proxy_actor spawn_llm_proxy(caf::actor_system& sys,
                                              std::shared_ptr<const hardware::task_map> tasks,
                                              llm_proxy_config cfg);

}  // namespace kforge::actors
