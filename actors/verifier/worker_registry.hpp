#pragma once

// Issue 16: the actor a coordinator publishes for workers (caf::io). A join takes two steps and
// proves on both sides that the peer holds the campaign secret without sending it:
//   worker  --join(worker_nonce)-->  registry: a fresh single-use nonce N and the coordinator's
//                                    proof HMAC-SHA256(secret, "coordinator|" + worker_nonce)
//   worker checks the proof, then
//   worker  --join(offer{N, HMAC-SHA256(secret, "worker|" + N), device, slots, pool})--> registry
//                                    right answer: the pool joins the router (its id back);
//                                    wrong or reused nonce: errc::refused, and a warning
// The channel itself is CAF's plaintext BASP (docs/workers.md, "Trust").

#include "actors/messages.hpp"
#include "actors/type_ids.hpp"
#include "actors/verifier/worker_router.hpp"

#include <caf/typed_actor.hpp>

#include <string>

namespace kforge::actors {

/// The published registry of a coordinator.
using worker_registry_actor = caf::typed_actor<
    // worker -> registry: the first step (the worker's own nonce, 16 to 128 characters).
    // Errors: errc::bad_request.
    caf::replies_to<join_atom, std::string>::with<join_challenge>,
    // worker -> registry: the second step. Replies the pool's id. Errors: errc::refused.
    caf::replies_to<join_atom, worker_offer>::with<int64_t>>;

/// The answer a worker gives to `nonce` under `secret`, and the proof a coordinator gives for a
/// worker's nonce: HMAC-SHA256 over the role and the nonce.
[[nodiscard]] std::string join_answer(const std::string& secret, const std::string& role,
                                      const std::string& nonce);

/// Spawns the registry that admits workers holding `secret` (not empty) to `router`.
[[nodiscard]] worker_registry_actor spawn_worker_registry(caf::actor_system& sys, std::string secret,
                                                          worker_router_actor router);

}  // namespace kforge::actors
