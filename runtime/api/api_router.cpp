#include "runtime/api/api_router.hpp"

#include "runtime/api/api_handlers.hpp"
#include "runtime/api/api_views.hpp"
#include "runtime/api/metrics.hpp"

#include <cctype>
#include <map>
#include <sstream>

namespace kforge::runtime {

namespace {

struct parsed_target {
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
  bool ok = true;
};

parsed_target parse_target(const std::string& target) {
  parsed_target out;
  auto q = target.find('?');
  std::string path = target.substr(0, q);
  if (q != std::string::npos) {
    std::istringstream in{target.substr(q + 1)};
    std::string pair;
    while (std::getline(in, pair, '&')) {
      auto eq = pair.find('=');
      std::string key;
      std::string value;
      if (!percent_decode(pair.substr(0, eq), key) ||
          !percent_decode(eq == std::string::npos ? "" : pair.substr(eq + 1), value))
        out.ok = false;
      out.query[key] = value;
    }
  }
  size_t at = 0;
  while (at < path.size()) {
    auto next = path.find('/', at);
    if (next == std::string::npos)
      next = path.size();
    if (next > at) {
      std::string seg;
      if (!percent_decode(path.substr(at, next - at), seg))
        out.ok = false;
      out.segments.push_back(std::move(seg));
    }
    at = next + 1;
  }
  return out;
}

// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff = static_cast<unsigned char>(diff | (a[i] ^ (i < b.size() ? b[i] : 0)));
  return diff == 0;
}

bool authorized(const api_request& req, const api_settings& settings) {
  if (settings.token.empty())
    return true;
  // RFC 7235: the scheme is case-insensitive ("bearer", "BEARER"); one or more spaces follow it.
  const std::string scheme = "bearer";
  const auto& h = req.authorization;
  if (h.size() <= scheme.size() || h[scheme.size()] != ' ')
    return false;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(h[i])) != scheme[i])
      return false;
  auto start = h.find_first_not_of(' ', scheme.size());
  if (start == std::string::npos)
    return false;
  return same_secret(h.substr(start), settings.token);
}

api_response method_not_allowed(const std::string& allow) {
  auto r = error_response(405, "method not allowed; use " + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

api_response get_metrics(const memory::store& store, api_hooks& hooks) {
  auto text = render_metrics(store, hooks);
  if (!text)
    return from_error(text.error());
  api_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(*text);
  return r;
}

api_response get_daemon(api_hooks& hooks) {
  api_response r;
  r.body = hooks.daemon_info();
  return r;
}

// The routing table: path shape and method to handler, in the order of api_router.hpp.
api_response route(const api_request& req, const memory::store& store, api_hooks& hooks,
                   const api_settings& settings) {
  auto t = parse_target(req.target);
  if (!t.ok)
    return error_response(400, "malformed percent-escape in the request target");
  const auto& s = t.segments;
  bool is_api = !s.empty() && (s[0] == "api" || s[0] == "metrics");
  if (is_api && !authorized(req, settings)) {
    auto r = error_response(401, req.authorization.empty() ? "missing bearer token" : "wrong bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"kforge\"");
    return r;
  }
  bool get = req.method == "GET" || req.method == "HEAD";
  bool post = req.method == "POST";
  if (!s.empty() && s[0] == "metrics" && s.size() == 1)
    return get ? get_metrics(store, hooks) : method_not_allowed("GET");
  if (!is_api)
    return get ? get_static(settings, req.target.substr(0, req.target.find('?'))) : method_not_allowed("GET");
  auto n = s.size();
  if (n == 2 && s[1] == "campaigns")
    return get ? get_campaigns(store, hooks) : method_not_allowed("GET");
  if (n == 3 && s[1] == "campaigns")
    return get ? get_campaign(store, hooks, s[2]) : method_not_allowed("GET");
  if (n == 4 && s[1] == "campaigns" && s[3] == "tasks")
    return get ? get_tasks(store, s[2]) : method_not_allowed("GET");
  if (n == 5 && s[1] == "campaigns" && s[3] == "tasks")
    return get ? get_task(store, s[2], s[4]) : method_not_allowed("GET");
  if (n == 4 && s[1] == "campaigns" && s[3] == "history")
    return get ? get_history(store, s[2]) : method_not_allowed("GET");
  if (n == 4 && s[1] == "campaigns" && s[3] == "series")
    return get ? get_series(store, hooks, settings, s[2], t.query) : method_not_allowed("GET");
  if (n == 4 && s[1] == "campaigns" && (s[3] == "pause" || s[3] == "resume" || s[3] == "stop"))
    return post ? post_control(hooks, s[2], s[3]) : method_not_allowed("POST");
  if (n == 3 && s[1] == "candidates")
    return get ? get_candidate(store, s[2]) : method_not_allowed("GET");
  if (n == 2 && s[1] == "memory")
    return get ? get_memory(store, t.query) : method_not_allowed("GET");
  if (n == 2 && s[1] == "llm")
    return get ? get_llm(store) : method_not_allowed("GET");
  if (n == 2 && s[1] == "devices")
    return get ? get_devices(hooks) : method_not_allowed("GET");
  if (n == 2 && s[1] == "daemon")
    return get ? get_daemon(hooks) : method_not_allowed("GET");
  if (n == 2 && s[1] == "snapshot")
    return post ? post_snapshot(store, settings, req.body) : method_not_allowed("POST");
  return error_response(404, "no route for " + req.method + " " + req.target.substr(0, 200));
}

}  // namespace

std::string slow_request_kind(const api_request& req) {
  if (req.method != "POST")
    return {};
  auto t = parse_target(req.target);
  if (t.ok && t.segments.size() == 2 && t.segments[0] == "api" && t.segments[1] == "snapshot")
    return "snapshot";
  return {};
}

api_response handle_request(const api_request& req, const memory::store& store, api_hooks& hooks,
                            const api_settings& settings) {
  try {
    auto r = route(req, store, hooks, settings);
    if (req.method == "HEAD")
      r.body.clear();
    return r;
  } catch (const std::exception& e) {
    // The boundary: nlohmann_json and std::filesystem may throw; nothing leaves this function.
    return error_response(500, std::string{"internal error: "} + e.what());
  }
}

}  // namespace kforge::runtime
