#pragma once

// The daemon actor: runs every campaign of the daemon's directory over one
// store, one verifier pool per device and one retriever and curator. It is
// event-based and never blocks: the directory is scanned on a timer (a
// delayed message to itself), the files are read and campaigns are prepared by
// the daemon worker (a detached actor that replies when done), supervisors
// report progress and `done` to it, and the API's control requests arrive from
// the daemon_registry as messages. Campaign-file rules: campaign_scan.hpp.
//
// A campaign here is idle, launching (the worker prepares it) or running (its
// supervisor lives):
//   idle --start--> launching --prepared--> running --done--> idle
//                       \--failed--> idle (invalid)
// A stop asked for while launching is sent as soon as the supervisor exists.
// On (stop_atom) it stops every supervisor gracefully, waits for their `done`
// and for launches in flight, stops the pools and the shared actors, and quits.

#include "actors/verifier/worker_router.hpp"
#include "memory/store.hpp"
#include "runtime/campaign/campaign_supervisor.hpp"
#include "runtime/daemon/daemon_config.hpp"
#include "runtime/daemon/daemon_registry.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_actor.hpp>

#include <string>

namespace kforge::runtime {

/// The daemon actor's interface: a supervisor's progress listener, plus control.
using daemon_actor = progress_listener::extend<
    // daemon_registry (API) -> daemon: pause, resume or stop one campaign by name.
    caf::reacts_to<pause_atom, std::string>, caf::reacts_to<resume_atom, std::string>,
    caf::reacts_to<stop_atom, std::string>,
    // main thread -> daemon: stop every campaign gracefully, then quit.
    caf::reacts_to<stop_atom>,
    // daemon -> itself: scan the campaign directory (every poll_ms).
    caf::reacts_to<scan_atom>>;

/// Spawns the daemon actor; it scans at once and resumes the store's unfinished campaigns.
/// `store` and `registry` must outlive it; it quits only after (stop_atom).
/// `workers` (may be null) is the router of the daemon's [workers]: every campaign verifies
/// through it, and it is drained when the daemon stops.
[[nodiscard]] daemon_actor spawn_daemon(caf::actor_system& sys, const daemon_config& cfg,
                                        memory::store& store, daemon_registry& registry,
                                        actors::worker_router_actor workers = {});

}  // namespace kforge::runtime
