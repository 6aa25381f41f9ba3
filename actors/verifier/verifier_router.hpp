#pragma once

// Issue 7: one campaign over several GPUs. The router speaks the verifier's
// typed interface and spreads the tasks over one verifier pool per device
// (each with its own run stage): every request of a task goes to the same
// pool, tasks are dealt round-robin in id order, and stats are summed.

#include "actors/verifier/verifier_actor.hpp"

#include <memory>
#include <vector>

namespace kforge::actors {

/// The pool a task goes to: its index among `tasks` (id order) modulo `pools`; 0 for an unknown task.
[[nodiscard]] std::size_t pool_of(const kforge::task_map& tasks, const std::string& task_id,
                                  std::size_t pools);

/// Adds the figures of one pool to the sum of several (devices joined with '+').
void add_stats(verifier_stats& sum, const verifier_stats& s);

/// Spawns a router over `pools` (at least one). drain_atom drains every pool, then the router quits.
[[nodiscard]] verifier_actor spawn_verifier_router(caf::actor_system& sys, std::vector<verifier_actor> pools,
                                                   std::shared_ptr<const kforge::task_map> tasks);

}  // namespace kforge::actors
