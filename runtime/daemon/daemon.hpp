#pragma once

// `kforge daemon`: runs every campaign of a directory (or one file) at once,
// in one actor system over one store, with one verifier pool per device, one
// retriever and one curator shared by all campaigns, and serves the HTTP API
// and dashboard. The daemon loop runs on the main thread as a scoped actor
// (never a scheduler thread); the API server runs on its own io_context
// thread and reaches the loop only through messages (daemon_registry).
//
// Campaign files (README, "Running kforge as a service"):
//   - identity is the [campaign] name; two files naming one campaign: the later is refused.
//   - a new file starts its campaign (or continues it, if the store has it).
//   - a changed file (content hash) stops its campaign gracefully and starts it again with
//     the new config once the stop has committed; a finished campaign stays finished.
//   - a file that does not load is reported (log, /api/daemon) and changes nothing.
//   - a removed file changes nothing: stop a campaign through the API.
// On start the daemon resumes every unfinished campaign of the store, from its file if one
// names it, else from the config stored with it. SIGTERM / SIGINT stop every campaign
// gracefully (in-flight evaluations finish and commit), then the daemon exits 0.

#include "runtime/api/api_router.hpp"
#include "runtime/daemon/daemon_config.hpp"

#include <caf/actor.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kforge::runtime {

/// The daemon's live state as the API sees it: written by the daemon loop, read by the
/// server thread. Control requests become messages to the loop. Thread-safe.
class daemon_registry : public api_hooks {
 public:
  /// `loop` receives (pause_atom | resume_atom | stop_atom, campaign name).
  explicit daemon_registry(caf::actor loop) : loop_(std::move(loop)) {}

  [[nodiscard]] std::vector<live_campaign> live_campaigns() const override;
  [[nodiscard]] std::vector<actors::verifier_stats> devices() const override;
  [[nodiscard]] caf::expected<std::string> control(const std::string& campaign,
                                                   const std::string& action) override;
  [[nodiscard]] std::string daemon_info() const override;

  /// Loop: records a campaign's state (and file, note).
  void set_state(const std::string& name, const std::string& state, const std::string& file,
                 const std::string& note);
  /// Loop: records a progress snapshot; the state follows it unless the campaign is stopping.
  void set_progress(const actors::campaign_progress& p);
  /// Loop: the current state of `name`, or "" if unknown.
  [[nodiscard]] std::string state_of(const std::string& name) const;
  /// Loop: the daemon stops; control requests are refused from now on (409).
  void set_shutting_down();
  /// Loop: replaces the daemon facts shown by GET /api/daemon (a JSON object text).
  void set_info(std::string json);

 private:
  mutable std::mutex mu_;
  caf::actor loop_;
  std::map<std::string, live_campaign> campaigns_;
  std::map<std::string, actors::verifier_stats> devices_;
  std::map<std::string, std::string> pending_;  // state a control asked for, until progress confirms it
  std::string info_ = "{}";
  bool shutting_down_ = false;
};

/// The next state of a campaign in `state` after `action`, or "" if the action is not
/// possible there. Pure; the rules of POST /api/campaigns/{c}/{action}.
[[nodiscard]] std::string next_state(const std::string& state, const std::string& action);

/// Runs the daemon until SIGTERM / SIGINT. Exit codes: 0 stopped cleanly, 2 bad config, 1 failure.
[[nodiscard]] int run_daemon(const daemon_config& cfg);

}  // namespace kforge::runtime
