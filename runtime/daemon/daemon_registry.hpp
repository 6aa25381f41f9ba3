#pragma once

// The daemon's live state as the HTTP API sees it. The daemon actor writes it,
// the API server's thread reads it; control requests become messages to the
// daemon actor, never direct calls into actor state.

#include "runtime/api/api_router.hpp"

#include <caf/actor.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kforge::runtime {

/// The daemon's live state as the API sees it: written by the daemon actor, read by the
/// server thread. Control requests become messages to the daemon actor. Thread-safe.
class daemon_registry : public api_hooks {
 public:
  /// `daemon` receives (pause_atom | resume_atom | stop_atom, campaign name).
  explicit daemon_registry(caf::actor daemon) : daemon_(std::move(daemon)) {}

  [[nodiscard]] std::vector<live_campaign> live_campaigns() const override;
  [[nodiscard]] std::vector<actors::verifier_stats> devices() const override;
  [[nodiscard]] caf::expected<std::string> control(const std::string& campaign,
                                                   const std::string& action) override;
  [[nodiscard]] std::string daemon_info() const override;

  /// Daemon actor: records a campaign's state (and file, note).
  void set_state(const std::string& name, const std::string& state, const std::string& file,
                 const std::string& note);
  /// Daemon actor: records a progress snapshot; the state follows it unless the campaign is stopping.
  void set_progress(const actors::campaign_progress& p);
  /// Daemon actor: the current state of `name`, or "" if unknown.
  [[nodiscard]] std::string state_of(const std::string& name) const;
  /// Daemon actor: the daemon stops; control requests are refused from now on (409).
  void set_shutting_down();
  /// Daemon actor: replaces the daemon facts shown by GET /api/daemon (a JSON object text).
  void set_info(std::string json);
  /// Main thread: the actor that control requests go to, once it exists.
  void set_daemon(caf::actor daemon);

 private:
  mutable std::mutex mu_;
  caf::actor daemon_;
  std::map<std::string, live_campaign> campaigns_;
  std::map<std::string, actors::verifier_stats> devices_;
  std::map<std::string, std::string> pending_;  // state a control asked for, until progress confirms it
  std::string info_ = "{}";
  bool shutting_down_ = false;
};

/// The next state of a campaign in `state` after `action`, or "" if the action is not
/// possible there. Pure; the rules of POST /api/campaigns/{c}/{action}.
[[nodiscard]] std::string next_state(const std::string& state, const std::string& action);

}  // namespace kforge::runtime
