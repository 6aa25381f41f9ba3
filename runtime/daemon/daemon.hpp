#pragma once

// `kforge daemon`: runs every campaign of a directory (or one file) at once,
// in one actor system over one store, with one verifier pool per device, one
// retriever and one curator shared by all campaigns, and serves the HTTP API
// and dashboard. The campaigns are run by the daemon actor (daemon_actor.hpp),
// which never blocks; its blocking work goes to the daemon worker
// (daemon_worker.hpp). The API server runs on its own io_context thread and
// reaches the actor only through messages (daemon_registry.hpp).
//
// Campaign files (README, "Running kforge as a service"; campaign_scan.hpp plans them):
//   - identity is the [campaign] name; two files naming one campaign: the later is refused.
//   - a new file starts its campaign (or continues it, if the store has it).
//   - a changed file (content hash) stops its campaign gracefully and starts it again with
//     the new config once the stop has committed; a finished campaign stays finished.
//   - a file that does not load is reported (log, /api/daemon) and changes nothing.
//   - a removed file changes nothing: stop a campaign through the API.
// On start the daemon resumes every unfinished campaign of the store, from its file if one
// names it, else from the config stored with it. SIGTERM / SIGINT stop every campaign
// gracefully (in-flight evaluations finish and commit), then the daemon exits 0.

#include "runtime/daemon/daemon_config.hpp"
#include "runtime/daemon/daemon_registry.hpp"

namespace kforge::runtime {

/// Runs the daemon until SIGTERM / SIGINT. The main thread only waits for the signal, tells the
/// daemon actor to stop, and waits for it to quit. Exit codes: 0 stopped cleanly, 2 bad config,
/// 1 failure.
[[nodiscard]] int run_daemon(const daemon_config& cfg);

}  // namespace kforge::runtime
