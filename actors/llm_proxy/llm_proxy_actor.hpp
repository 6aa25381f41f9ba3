#pragma once

// The LLM proxy: one actor in front of the policy backends.
//
//   offline  the built-in knob search (offline_policy.hpp), answered at once.
//   openai   any OpenAI-compatible chat-completions endpoint(s):
//
//     propose -> prompt (prompt_builder) -> cache hit? reply from the store
//             -> queue -> dispatch: budget fits? endpoint by bandit among those with a
//                free slot and tokens in their buckets -> HTTP on the io thread
//             -> http_done: ok -> parse kernels -> record -> reply
//                           retryable -> backoff (Retry-After) -> queue again
//                           attempts spent, model down (transport, 408/429/5xx)
//                             -> record (no tokens charged) -> errc::llm_unreachable
//                           final (other 4xx) / bad bodies spent -> record -> errc::llm_failed
//
// The io thread's completion handlers only send http_done to the actor.

#include "actors/curator/curator_actor.hpp"
#include "actors/llm_proxy/llm_settings.hpp"
#include "actors/llm_proxy/offline_policy.hpp"
#include "actors/messages.hpp"
#include "actors/type_ids.hpp"
#include "runtime/base/task.hpp"

#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

namespace kforge::memory {
class store;
}

namespace kforge::actors {

class prompt_builder;
class http_transport;

/// Front of the policy backends: turns a step's request into candidate kernels.
using llm_proxy_actor = caf::typed_actor<
    // task actor -> proxy: propose request.k candidates. A reply without a usable kernel is a
    // proposal with parse_error set (a "parse" verdict), not an error. Errors: errc::bad_request
    // (unknown task or policy), errc::llm_unreachable (the endpoint is down, overloaded or timing
    // out after every retry: the task waits and asks again), errc::llm_failed (the endpoint refused
    // the request, or its bodies stayed malformed after every retry),
    // errc::budget_exhausted (the campaign's LLM token or money budget is spent).
    caf::replies_to<propose_atom, policy_request>::with<policy_reply>,
    // io thread -> proxy: one HTTP attempt of call `id` ended.
    caf::reacts_to<http_done_atom, uint64_t, http_exchange>,
    // proxy -> itself: put call `id` back in the queue after its backoff.
    caf::reacts_to<retry_atom, uint64_t>,
    // proxy -> itself: a rate limit may have refilled; dispatch queued calls.
    caf::reacts_to<dispatch_atom>,
    // task actor -> proxy: the verdict of a kernel the proxy proposed: SHA-256 of its source and
    // whether it was feasible. Feeds the endpoint bandit; unknown sources are ignored.
    caf::reacts_to<reward_atom, std::string, bool>,
    // anyone -> proxy: one line on LLM usage ("tokens 1200/5000, cost ...; LLM budget spent").
    caf::replies_to<usage_atom>::with<std::string>>;

/// Which backend answers, and its settings; from the campaign config.
struct llm_proxy_config {
  std::string policy = "offline";  ///< offline (built in) | openai
  offline_policy_config offline;
  llm_settings llm;                               ///< openai only
  std::shared_ptr<const prompt_builder> prompts;  ///< openai only: loaded templates
  std::string campaign;                           ///< openai: calls are recorded under it
  memory::store* store = nullptr;  ///< openai: response cache and spent budget (read only); may be null
  curator_actor curator;           ///< openai: records every call; may be null (nothing recorded)
  uint64_t seed = 1;               ///< backoff jitter
  /// openai: replaces the HTTP client (tests script the endpoint with it); null = the real one.
  std::shared_ptr<http_transport> transport;
};

/// Spawns the proxy for the tasks in `tasks`. The store, if any, must outlive it.
[[nodiscard]] llm_proxy_actor spawn_llm_proxy(caf::actor_system& sys,
                                              std::shared_ptr<const kforge::task_map> tasks,
                                              llm_proxy_config cfg);

}  // namespace kforge::actors
