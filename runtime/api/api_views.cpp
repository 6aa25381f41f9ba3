#include "runtime/api/api_views.hpp"

#include "actors/task/archive.hpp"
#include "runtime/base/scoring.hpp"
#include "runtime/campaign/config.hpp"

#include <algorithm>

namespace kforge::runtime {

namespace {

int status_of(const caf::error& err) {
  switch (code_of(err)) {
    case errc::not_found:
      return 404;
    case errc::bad_request:
      return 400;
    default:
      return 500;
  }
}

}  // namespace

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

api_response json_response(int status, const json& j) {
  api_response r;
  r.status = status;
  r.body = dump(j);
  return r;
}

api_response from_error(const caf::error& err) {
  return error_response(status_of(err), describe(err));
}

api_response error_response(int status, const std::string& message) {
  return json_response(status, {{"error", {{"status", status}, {"message", message}}}});
}

double best_speedup(const memory::task_record& t) noexcept {
  if (t.best_hash.empty())
    return 0;
  return kforge::speedup(t.reference_latency_ns, t.best_latency_ns);
}

std::vector<std::pair<double, double>> fast_p_curve(const std::vector<memory::task_record>& tasks) {
  std::vector<double> speedups;
  speedups.reserve(tasks.size());
  for (const auto& t : tasks)
    speedups.push_back(best_speedup(t));
  return kforge::fast_p_curve(speedups, 0.25, 4.0);
}

namespace {

// The best re-measured against the reference as the task ended; null if never. `current`:
// it is the task's best now (a resumed task whose best changed is measured again at its end).
json final_json(const memory::task_record& t) {
  if (t.final_hash.empty())
    return nullptr;
  return {{"hash", t.final_hash},
          {"current", t.final_hash == t.best_hash},
          {"reference_latency_ns", t.final_reference_ns},
          {"best_latency_ns", t.final_latency_ns},
          {"speedup", kforge::speedup(t.final_reference_ns, t.final_latency_ns)},
          {"rounds", t.final_rounds},
          {"detail", t.final_detail}};
}

}  // namespace

json task_json(const memory::task_record& t) {
  return {{"id", t.task_id},
          {"family", t.family},
          {"backend", t.backend},
          {"phase", t.phase},
          {"stop_reason", t.stop_reason},
          {"evaluations", t.evaluations},
          {"feasible", t.feasible},
          {"best_hash", t.best_hash},
          {"best_latency_ns", t.best_latency_ns},
          {"reference_latency_ns", t.reference_latency_ns},
          {"best_speedup", best_speedup(t)},
          {"final", final_json(t)},
          {"failed", is_failure_reason(t.stop_reason)},
          {"updated_ms", t.updated_ms}};
}

bool is_failure_reason(const std::string& stop_reason) {
  if (stop_reason.empty())
    return false;
  for (const char* normal :
       {"budget", "plateau", "exhausted", "campaign budget", "stopped", "LLM budget spent"})
    if (stop_reason == normal)
      return false;
  return true;
}

int64_t total_tasks(const std::vector<memory::task_record>& tasks, const std::optional<live_campaign>& live) {
  size_t n = tasks.size();
  if (live && live->has_progress)
    n = std::max(n, live->progress.tasks.size());
  return static_cast<int64_t>(n);
}

std::string verdict_class(const kforge::verdict& v) {
  return v.failed_gate.empty() ? "passed" : v.failed_gate;
}

json verdict_json(const kforge::verdict& v) {
  json gates = json::array();
  for (const auto& g : v.gates)
    gates.push_back({{"gate", g.gate}, {"passed", g.passed}, {"detail", g.detail}});
  return {{"feasible", v.feasible},
          {"failed_gate", v.failed_gate},
          {"gates", gates},
          {"timing",
           {{"median_ns", v.timing.median_ns},
            {"min_ns", v.timing.min_ns},
            {"mean_ns", v.timing.mean_ns},
            {"stddev_ns", v.timing.stddev_ns},
            {"count", v.timing.count},
            {"ci_half_ns", v.timing.ci_half_ns}}},
          {"max_abs_error", v.max_abs_error},
          {"compile_ms", v.compile_ms},
          {"run_ms", v.run_ms},
          {"device", v.device},
          {"reference_ns", v.reference_ns},
          {"flagged", v.flagged}};
}

json candidate_summary(const memory::candidate_record& c) {
  return {{"hash", c.hash},
          {"task", c.task_id},
          {"seq", c.seq},
          {"stage", c.stage},
          {"parents", c.parents},
          {"optimization", c.optimization},
          {"verdict", verdict_class(c.verdict)},
          {"feasible", c.verdict.feasible},
          {"latency_ns", c.verdict.timing.median_ns},
          {"speedup_vs_ref", c.speedup_vs_ref},
          {"speedup_vs_parent", c.speedup_vs_parent},
          {"created_ms", c.created_ms}};
}

double noise_of(const memory::campaign_record& c) {
  auto cfg = parse_campaign_config(c.config_text, c.config_path);
  return cfg ? cfg->verifier.noise_threshold : verifier_settings{}.noise_threshold;
}

json archive_json(const std::vector<memory::candidate_record>& candidates,
                  const memory::campaign_record& campaign, double reference_ns) {
  actors::archive_config ac;
  if (auto cfg = parse_campaign_config(campaign.config_text, campaign.config_path)) {
    ac.best = cfg->archive.best;
    ac.diverse = cfg->archive.diverse;
    ac.min_distance = cfg->archive.min_distance;
    ac.epsilon = cfg->archive.epsilon;
    ac.prior_scale = cfg->archive.prior_scale;
    ac.alpha = cfg->alpha;
  }
  std::vector<const memory::candidate_record*> ordered;
  for (const auto& c : candidates)
    ordered.push_back(&c);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) { return a->seq < b->seq; });
  actors::archive arch{ac};
  std::map<std::string, const memory::candidate_record*> by_hash;
  for (const auto* c : ordered) {
    arch.add(*c);
    if (!c->parents.empty())
      arch.reward_parent(c->parents.front(), c->reward);
    by_hash[c->hash] = c;
  }
  json out = json::array();
  for (const auto& m : arch.members()) {
    json knobs = json::object();
    for (const auto& k : m.knobs)
      knobs[k.name] = k.value;
    auto it = by_hash.find(m.hash);
    out.push_back({{"hash", m.hash},
                   {"seq", it == by_hash.end() ? -1 : it->second->seq},
                   {"stage", it == by_hash.end() ? "" : it->second->stage},
                   {"latency_ns", m.latency_ns},
                   {"speedup_vs_ref", kforge::speedup(reference_ns, m.latency_ns)},
                   {"q2", m.q2},
                   {"visits", m.visits},
                   {"knobs", knobs}});
  }
  return out;
}

std::optional<live_campaign> live_named(const std::vector<live_campaign>& live, const std::string& name) {
  for (const auto& c : live)
    if (c.name == name)
      return c;
  return std::nullopt;
}

int64_t budget_of(const memory::campaign_record& c, const std::optional<live_campaign>& live, size_t tasks) {
  if (live && live->has_progress && live->progress.budget > 0)
    return live->progress.budget;
  auto cfg = parse_campaign_config(c.config_text, c.config_path);
  if (!cfg)
    return 0;
  return cfg->evaluation_budget(std::max(tasks, static_cast<size_t>(total_tasks({}, live))));
}

json campaign_summary(const memory::campaign_record& c, const std::vector<memory::task_record>& tasks,
                      const std::optional<live_campaign>& live, int64_t budget) {
  int64_t evaluations = 0;
  int64_t feasible = 0;
  int64_t done = 0;
  json speedups = json::object();
  for (const auto& t : tasks) {
    evaluations += t.evaluations;
    feasible += t.feasible;
    done += t.phase == "done" ? 1 : 0;
    speedups[t.task_id] = best_speedup(t);
  }
  std::string state = c.status;
  std::string note;
  std::string file = c.config_path;
  if (live) {
    state = live->state;
    note = live->note;
    if (!live->file.empty())
      file = live->file;
  }
  return {{"name", c.id},
          {"state", state},
          {"stored_status", c.status},
          {"note", note},
          {"file", file},
          {"evaluations", evaluations},
          {"feasible", feasible},
          {"budget", budget},
          {"tasks", std::max(static_cast<int64_t>(tasks.size()), total_tasks(tasks, live))},
          {"tasks_started", static_cast<int64_t>(tasks.size())},
          {"tasks_done", done},
          {"best_speedup", speedups},
          {"created_ms", c.created_ms},
          {"updated_ms", c.updated_ms},
          {"wall_ms", c.wall_ms}};
}

caf::expected<campaign_data> load_campaign(const memory::read_txn& tx, const std::string& name) {
  auto c = memory::get_campaign(tx, name);
  if (!c) {
    if (code_of(c.error()) == errc::not_found)
      return make_error(errc::not_found, "no campaign named '" + name + "'");
    return c.error();
  }
  auto tasks = memory::list_tasks(tx, name);
  if (!tasks)
    return tasks.error();
  return campaign_data{std::move(*c), std::move(*tasks)};
}

caf::expected<std::vector<memory::candidate_record>> all_candidates(const memory::read_txn& tx,
                                                                    const campaign_data& d) {
  std::vector<memory::candidate_record> out;
  for (const auto& t : d.tasks) {
    auto list = memory::list_candidates(tx, d.campaign.id, t.task_id);
    if (!list)
      return list.error();
    for (auto& c : *list)
      out.push_back(std::move(c));
  }
  return out;
}

std::string query_value(const std::map<std::string, std::string>& query, const std::string& key) {
  auto it = query.find(key);
  return it == query.end() ? std::string{} : it->second;
}

}  // namespace kforge::runtime
