#pragma once

// The daemon's HTTP API as a pure function from request to response: no
// sockets, no actors. The server (api_server.hpp) parses requests and writes
// responses; this file decides what they say. api_router.cpp holds the routing
// table, api_list_handlers.cpp / api_control_handlers.cpp / api_static_files.cpp
// the handlers (api_handlers.hpp), api_views.cpp the JSON views. Routes (JSON
// unless noted):
//
//   GET  /api/campaigns                      every campaign, stored and live
//   GET  /api/campaigns/{c}                  one campaign: tasks, verdicts by gate, fast_p
//   GET  /api/campaigns/{c}/tasks            its tasks: state and best
//   GET  /api/campaigns/{c}/tasks/{t}        one task: history, lineage of the best, best source
//   GET  /api/campaigns/{c}/history          evaluations and feasible ones over time
//   GET  /api/campaigns/{c}/series[?points=N]  geomean speedup and fast_p over time, the stall
//   GET  /api/candidates/{hash}              one candidate with source and verdict
//   GET  /api/memory[?kind=K]                memory items with their values
//   GET  /api/llm                            LLM usage: requests, tokens, cost
//   GET  /api/devices                        verifier pools: queue depth, busy share
//   GET  /api/daemon                         the daemon: campaign files, errors
//   POST /api/campaigns/{c}/pause|resume|stop   control (202)
//   POST /api/snapshot  {"name": "label"}?   compacted copy of the store (201)
//   GET  /metrics                            Prometheus text
//   GET  /, /{file}                          the dashboard's static files
//
// With a token set, /api/ and /metrics need "Authorization: Bearer <token>".
// Errors are {"error": {"status": N, "message": "..."}}.

#include "actors/messages.hpp"
#include "memory/store.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kforge::runtime {

/// What the router needs of a request; the server fills it from the parsed HTTP message.
struct api_request {
  std::string method;         ///< "GET", "POST", ...
  std::string target;         ///< path and query, as sent
  std::string authorization;  ///< the Authorization header, if any
  std::string body;
};

/// The router's answer; the server adds Content-Length, Server and keep-alive.
struct api_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers (Allow, WWW-Authenticate)
};

/// A campaign the daemon knows now, with its latest progress.
struct live_campaign {
  std::string name;
  std::string state;  ///< starting | running | paused | stopping | stopped | finished | failed | invalid
  std::string file;   ///< the campaign file it came from (empty: resumed from the store alone)
  std::string note;   ///< why it stopped or failed, config errors
  bool has_progress = false;
  actors::campaign_progress progress;
};

/// What the daemon offers the router. Implementations are thread-safe: the router runs on the
/// server's io_context thread and, for slow requests (slow_request_kind), on its worker thread.
/// Control only sends messages; it never waits for actors.
class api_hooks {
 public:
  virtual ~api_hooks() = default;
  /// Every campaign the daemon runs or has seen since it started.
  [[nodiscard]] virtual std::vector<live_campaign> live_campaigns() const = 0;
  /// The latest statistics of each verifier pool.
  [[nodiscard]] virtual std::vector<actors::verifier_stats> devices() const = 0;
  /// Asks for `action` (pause | resume | stop) on `campaign`; returns the state it moves to.
  /// Errors: errc::not_found (unknown campaign), errc::bad_request (not possible in its state).
  [[nodiscard]] virtual caf::expected<std::string> control(const std::string& campaign,
                                                           const std::string& action) = 0;
  /// Daemon facts for GET /api/daemon as a JSON object text.
  [[nodiscard]] virtual std::string daemon_info() const = 0;
};

/// Fixed settings of the router.
struct api_settings {
  std::string token;                   ///< empty = no authentication
  std::filesystem::path static_dir;    ///< dashboard files; empty = none served
  std::filesystem::path snapshot_dir;  ///< where snapshots go
  double stall_minutes = 30;           ///< no task improved this long: the series reports a stall; 0 = never
};

/// Answers one request. Never throws; store failures become 500 responses.
[[nodiscard]] api_response handle_request(const api_request& req, const memory::store& store,
                                          api_hooks& hooks, const api_settings& settings);

/// The slow work `req` starts ("snapshot" for POST /api/snapshot), or "" for a request answered
/// at once. The server runs slow requests off its io thread, one at a time.
[[nodiscard]] std::string slow_request_kind(const api_request& req);

/// A JSON error response {"error": {"status": N, "message": M}}.
[[nodiscard]] api_response error_response(int status, const std::string& message);

/// Decodes %XX escapes of one path segment or query value; false on a malformed escape.
[[nodiscard]] bool percent_decode(const std::string& in, std::string& out);

/// The file under `root` that `url_path` names, or an error (errc::bad_request for traversal
/// attempts, errc::not_found). Rejects "..", empty and dot segments, backslashes, NUL and
/// symlinks leading out of `root`.
[[nodiscard]] caf::expected<std::filesystem::path> static_file(const std::filesystem::path& root,
                                                               const std::string& url_path);

/// fast_p: the share of `tasks` whose best is correct and more than p times faster than the
/// reference, for p = 0, 0.25, ..., 4 (17 points).
[[nodiscard]] std::vector<std::pair<double, double>> fast_p_curve(
    const std::vector<memory::task_record>& tasks);

/// A task's best speedup over the reference (reference / best latency), or 0 without a best.
[[nodiscard]] double best_speedup(const memory::task_record& t) noexcept;

}  // namespace kforge::runtime
