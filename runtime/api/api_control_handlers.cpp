#include "runtime/api/api_handlers.hpp"

#include "runtime/api/api_views.hpp"
#include "runtime/base/wall_clock.hpp"

#include <algorithm>
#include <chrono>

namespace kforge::runtime {

namespace {

bool valid_label(const std::string& s) {
  if (s.empty() || s.size() > 64)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

api_response post_control(api_hooks& hooks, const std::string& name, const std::string& action) {
  auto state = hooks.control(name, action);
  if (!state) {
    if (code_of(state.error()) == errc::not_found)
      return error_response(404, describe(state.error()));
    return error_response(409, describe(state.error()));
  }
  return json_response(202, {{"campaign", name}, {"action", action}, {"state", *state}});
}

api_response post_snapshot(const memory::store& store, const api_settings& settings,
                           const std::string& body) {
  std::string label = "snapshot";
  if (!body.empty()) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return error_response(400, "the body must be a JSON object, e.g. {\"name\": \"nightly\"}");
    if (j.contains("name")) {
      if (!j["name"].is_string() || !valid_label(j["name"].get<std::string>()))
        return error_response(400, "'name' must be 1-64 characters of [A-Za-z0-9_-]");
      label = j["name"].get<std::string>();
    }
    for (const auto& [key, value] : j.items())
      if (key != "name")
        return error_response(400, "unknown key '" + key + "' (only 'name')");
  }
  // The directory name only labels the copy (sortable by time); nothing decides on it.
  auto now = wall_ms();
  auto dir = settings.snapshot_dir / (std::to_string(now) + "-" + label);
  std::error_code ec;
  std::filesystem::create_directories(settings.snapshot_dir, ec);
  if (ec)
    return error_response(500, "cannot create " + settings.snapshot_dir.string() + ": " + ec.message());
  if (std::filesystem::exists(dir, ec))
    return error_response(409, "snapshot " + dir.string() + " exists already");
  if (auto err = store.snapshot(dir))
    return from_error(err);
  return json_response(201, {{"path", dir.string()}});
}

}  // namespace kforge::runtime
