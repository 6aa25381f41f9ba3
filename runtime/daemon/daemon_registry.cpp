#include "runtime/daemon/daemon_registry.hpp"

#include "actors/type_ids.hpp"
#include "runtime/base/error.hpp"

#include <caf/send.hpp>

#include <utility>

namespace kforge::runtime {

std::string next_state(const std::string& state, const std::string& action) {
  if (action == "pause")
    return state == "running" || state == "paused" ? "paused" : "";
  if (action == "resume") {
    if (state == "paused" || state == "running")
      return "running";
    if (state == "stopped" || state == "stopping")
      return "starting";
    return "";
  }
  if (action == "stop") {
    if (state == "running" || state == "paused" || state == "starting" || state == "stopping")
      return "stopping";
    if (state == "stopped")
      return "stopped";
    return "";
  }
  return "";
}

std::vector<live_campaign> daemon_registry::live_campaigns() const {
  std::lock_guard<std::mutex> lock{mu_};
  std::vector<live_campaign> out;
  for (const auto& [name, c] : campaigns_)
    out.push_back(c);
  return out;
}

std::vector<actors::verifier_stats> daemon_registry::devices() const {
  std::lock_guard<std::mutex> lock{mu_};
  std::vector<actors::verifier_stats> out;
  for (const auto& [dev, s] : devices_)
    out.push_back(s);
  return out;
}

caf::expected<std::string> daemon_registry::control(const std::string& campaign, const std::string& action) {
  std::lock_guard<std::mutex> lock{mu_};
  if (shutting_down_)
    return make_error(errc::bad_request, "the daemon is stopping; campaigns cannot be controlled now");
  auto it = campaigns_.find(campaign);
  if (it == campaigns_.end())
    return make_error(errc::not_found, "the daemon runs no campaign named '" + campaign + "'");
  auto next = next_state(it->second.state, action);
  if (next.empty())
    return make_error(errc::bad_request,
                      "cannot " + action + " campaign '" + campaign + "' while it is " + it->second.state);
  if (action == "pause")
    caf::anon_send(daemon_, pause_atom_v, campaign);
  else if (action == "resume")
    caf::anon_send(daemon_, resume_atom_v, campaign);
  else
    caf::anon_send(daemon_, stop_atom_v, campaign);
  it->second.state = next;
  if (next == "paused" || next == "running")
    pending_[campaign] = next;
  return next;
}

std::string daemon_registry::daemon_info() const {
  std::lock_guard<std::mutex> lock{mu_};
  return info_;
}

void daemon_registry::set_state(const std::string& name, const std::string& state, const std::string& file,
                                const std::string& note) {
  std::lock_guard<std::mutex> lock{mu_};
  auto& c = campaigns_[name];
  c.name = name;
  c.state = state;
  c.file = file;
  c.note = note;
}

void daemon_registry::set_progress(const actors::campaign_progress& p) {
  std::lock_guard<std::mutex> lock{mu_};
  auto& c = campaigns_[p.campaign];
  c.name = p.campaign;
  c.progress = p;
  c.has_progress = true;
  if (!p.verifier.device.empty())
    devices_[p.verifier.device] = p.verifier;
  // A snapshot taken before a pause or resume was handled must not undo the state it asked for.
  auto pending = pending_.find(p.campaign);
  bool terminal = p.status == "finished" || p.status == "stopped" || p.status == "failed";
  if (pending != pending_.end() && (pending->second == p.status || terminal))
    pending_.erase(pending);
  else if (pending != pending_.end())
    return;
  if (c.state != "stopping" && c.state != "starting")
    c.state = p.status;
  if (!p.note.empty())
    c.note = p.note;
}

std::string daemon_registry::state_of(const std::string& name) const {
  std::lock_guard<std::mutex> lock{mu_};
  auto it = campaigns_.find(name);
  return it == campaigns_.end() ? std::string{} : it->second.state;
}

void daemon_registry::set_shutting_down() {
  std::lock_guard<std::mutex> lock{mu_};
  shutting_down_ = true;
}

void daemon_registry::set_info(std::string json) {
  std::lock_guard<std::mutex> lock{mu_};
  info_ = std::move(json);
}

void daemon_registry::set_daemon(caf::actor daemon) {
  std::lock_guard<std::mutex> lock{mu_};
  daemon_ = std::move(daemon);
}

}  // namespace kforge::runtime
