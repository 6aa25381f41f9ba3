#include "runtime/api/api_handlers.hpp"

#include "runtime/api/api_views.hpp"
#include "runtime/api/speedup_series.hpp"

#include <chrono>

namespace kforge::runtime {

namespace {

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The points= query value in [2, 5000]; "" gives 500. False for anything else.
bool points_of(const std::string& text, size_t& out) {
  out = 500;
  if (text.empty())
    return true;
  if (text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoul(text);
  return out >= 2 && out <= 5000;
}

}  // namespace

api_response get_series(const memory::store& store, api_hooks& hooks, const api_settings& settings,
                        const std::string& name, const std::map<std::string, std::string>& query) {
  size_t max_points = 0;
  if (!points_of(query_value(query, "points"), max_points))
    return error_response(400, "points must be a whole number from 2 to 5000");
  auto live = live_named(hooks.live_campaigns(), name);
  return with_campaign(store, name, [&](const memory::read_txn& tx, const campaign_data& d) {
    auto cands = all_candidates(tx, d);
    if (!cands)
      return from_error(cands.error());
    auto tasks = total_tasks(d.tasks, live);
    auto series = compute_series(replay_bests(d.tasks, *cands, noise_of(d.campaign)),
                                 static_cast<size_t>(tasks), max_points);
    auto points = json_list(series.points, [](const series_point& p) {
      return json{{"evaluations", p.evaluations}, {"t_ms", p.t_ms},
                  {"geomean", p.geomean},         {"geomean_correct", p.geomean_correct},
                  {"fast_0", p.fast_0},           {"fast_1", p.fast_1},
                  {"fast_2", p.fast_2},           {"improved", p.improved_tasks}};
    });
    auto now = wall_now_ms();
    std::string state = live ? live->state : d.campaign.status;
    int64_t run_start = 0;
    if (live && live->has_progress)
      run_start = now - static_cast<int64_t>(live->progress.elapsed_ms);
    auto stall =
        stall_of(state == "running", series.last_improvement_ms, run_start, now, settings.stall_minutes);
    return json_response(200, {{"campaign", name},
                               {"tasks", tasks},
                               {"evaluations", series.evaluations},
                               {"points", points},
                               {"last_improvement_ms", series.last_improvement_ms},
                               {"stall",
                                {{"minutes", settings.stall_minutes},
                                 {"stalled", stall.stalled},
                                 {"since_ms", stall.since_ms},
                                 {"since_run_start", stall.since_run_start},
                                 {"now_ms", now}}}});
  });
}

}  // namespace kforge::runtime
