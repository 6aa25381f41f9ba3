#pragma once

// The handlers behind the routes of api_router.hpp, one function per route.
// Internal to runtime/api: api_router.cpp maps requests to them. Each runs on
// the server's threads, reads the store in one short read transaction and
// never throws past handle_request's boundary.

#include "runtime/api/api_router.hpp"

#include <map>
#include <string>

namespace kforge::runtime {

// Lists and records (api_list_handlers.cpp).

/// GET /api/campaigns: every stored campaign, then the live ones not stored yet.
[[nodiscard]] api_response get_campaigns(const memory::store& store, api_hooks& hooks);
/// GET /api/campaigns/{c}: the summary plus verdicts by gate, fast_p, tasks and the live verifier.
[[nodiscard]] api_response get_campaign(const memory::store& store, api_hooks& hooks,
                                        const std::string& name);
/// GET /api/campaigns/{c}/tasks.
[[nodiscard]] api_response get_tasks(const memory::store& store, const std::string& name);
/// GET /api/campaigns/{c}/tasks/{t}: history, lineage of the best, the best's source.
[[nodiscard]] api_response get_task(const memory::store& store, const std::string& name,
                                    const std::string& task);
/// GET /api/campaigns/{c}/history: evaluations and feasible ones over time, at most ~300 points.
[[nodiscard]] api_response get_history(const memory::store& store, const std::string& name);
/// GET /api/campaigns/{c}/series[?points=N]: geomean speedup and fast_p after each evaluation in
/// commit order, at most N points (default 500, 2 to 5000), and the stall (api_series_handlers.cpp).
[[nodiscard]] api_response get_series(const memory::store& store, api_hooks& hooks,
                                      const api_settings& settings, const std::string& name,
                                      const std::map<std::string, std::string>& query);
/// GET /api/candidates/{hash}.
[[nodiscard]] api_response get_candidate(const memory::store& store, const std::string& hash);
/// GET /api/memory[?kind=K].
[[nodiscard]] api_response get_memory(const memory::store& store,
                                      const std::map<std::string, std::string>& query);
/// GET /api/llm: usage summed over the store and by (campaign, model).
[[nodiscard]] api_response get_llm(const memory::store& store);
/// GET /api/devices: the verifier pools' latest statistics.
[[nodiscard]] api_response get_devices(api_hooks& hooks);

// Control and snapshots (api_control_handlers.cpp).

/// POST /api/campaigns/{c}/{pause|resume|stop}: 202, 404 (unknown campaign) or 409 (not now).
[[nodiscard]] api_response post_control(api_hooks& hooks, const std::string& name, const std::string& action);
/// POST /api/snapshot {"name": label}?: a compacted copy of the store under snapshot_dir (201).
/// Slow (it copies the whole store): the server runs it off its io thread (slow_request_kind).
[[nodiscard]] api_response post_snapshot(const memory::store& store, const api_settings& settings,
                                         const std::string& body);

// Static files (api_static_files.cpp).

/// GET /, /{file}: a dashboard file under settings.static_dir.
[[nodiscard]] api_response get_static(const api_settings& settings, const std::string& path);

}  // namespace kforge::runtime
