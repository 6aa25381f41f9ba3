#include "runtime/api/api_router.hpp"

#include "runtime/campaign/config.hpp"
#include "runtime/api/metrics.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace kforge::runtime {

namespace {

using json = nlohmann::json;

std::string dump(const json& j) {
  // Sources and compiler output may hold invalid UTF-8: replace it rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

api_response json_response(int status, const json& j) {
  api_response r;
  r.status = status;
  r.body = dump(j);
  return r;
}

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

api_response from_error(const caf::error& err) {
  return error_response(status_of(err), describe(err));
}

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
  const std::string prefix = "Bearer ";
  if (req.authorization.size() <= prefix.size() || req.authorization.compare(0, prefix.size(), prefix) != 0)
    return false;
  return same_secret(req.authorization.substr(prefix.size()), settings.token);
}

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
          {"updated_ms", t.updated_ms}};
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

std::optional<live_campaign> find_live(api_hooks& hooks, const std::string& name) {
  for (auto& c : hooks.live_campaigns())
    if (c.name == name)
      return c;
  return std::nullopt;
}

// The campaign's overall evaluation budget: live if running, else from its stored config.
int64_t budget_of(const memory::campaign_record& c, const std::optional<live_campaign>& live, size_t tasks) {
  if (live && live->has_progress && live->progress.budget > 0)
    return live->progress.budget;
  auto cfg = parse_campaign_config(c.config_text, c.config_path);
  if (!cfg)
    return 0;
  return cfg->evaluation_budget(tasks);
}

json campaign_summary(const memory::campaign_record& c, const std::vector<memory::task_record>& tasks,
                      const std::optional<live_campaign>& live) {
  int64_t evaluations = 0;
  int64_t feasible = 0;
  int64_t done = 0;
  for (const auto& t : tasks) {
    evaluations += t.evaluations;
    feasible += t.feasible;
    done += t.phase == "done" ? 1 : 0;
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
  json speedups = json::object();
  for (const auto& t : tasks)
    speedups[t.task_id] = best_speedup(t);
  return {{"name", c.id},
          {"state", state},
          {"stored_status", c.status},
          {"note", note},
          {"file", file},
          {"evaluations", evaluations},
          {"feasible", feasible},
          {"budget", budget_of(c, live, tasks.size())},
          {"tasks", static_cast<int64_t>(tasks.size())},
          {"tasks_done", done},
          {"best_speedup", speedups},
          {"created_ms", c.created_ms},
          {"updated_ms", c.updated_ms},
          {"wall_ms", c.wall_ms}};
}

struct campaign_data {
  memory::campaign_record campaign;
  std::vector<memory::task_record> tasks;
};

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

api_response get_campaigns(const memory::store& store, api_hooks& hooks) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  auto list = memory::list_campaigns(*tx);
  if (!list)
    return from_error(list.error());
  auto live = hooks.live_campaigns();
  json out = json::array();
  std::set<std::string> seen;
  for (const auto& c : *list) {
    auto tasks = memory::list_tasks(*tx, c.id);
    if (!tasks)
      return from_error(tasks.error());
    std::optional<live_campaign> l;
    for (const auto& x : live)
      if (x.name == c.id)
        l = x;
    out.push_back(campaign_summary(c, *tasks, l));
    seen.insert(c.id);
  }
  // Campaigns the daemon knows that have no record yet (starting, or a config that does not load).
  for (const auto& x : live) {
    if (seen.count(x.name) > 0)
      continue;
    out.push_back({{"name", x.name},
                   {"state", x.state},
                   {"stored_status", ""},
                   {"note", x.note},
                   {"file", x.file},
                   {"evaluations", 0},
                   {"feasible", 0},
                   {"budget", x.has_progress ? x.progress.budget : 0},
                   {"tasks", 0},
                   {"tasks_done", 0},
                   {"best_speedup", json::object()},
                   {"created_ms", 0},
                   {"updated_ms", 0},
                   {"wall_ms", 0}});
  }
  return json_response(200, {{"campaigns", out}});
}

api_response get_campaign(const memory::store& store, api_hooks& hooks, const std::string& name) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  auto d = load_campaign(*tx, name);
  if (!d)
    return from_error(d.error());
  auto cands = all_candidates(*tx, *d);
  if (!cands)
    return from_error(cands.error());
  auto live = find_live(hooks, name);
  auto out = campaign_summary(d->campaign, d->tasks, live);
  std::map<std::string, int64_t> verdicts;
  for (const auto& g : {"passed", "parse", "hack", "compile", "correctness", "latency"})
    verdicts[g] = 0;
  for (const auto& c : *cands)
    verdicts[verdict_class(c.verdict)] += 1;
  out["verdicts"] = verdicts;
  json fp = json::array();
  for (const auto& [p, share] : fast_p_curve(d->tasks))
    fp.push_back({{"p", p}, {"share", share}});
  out["fast_p"] = fp;
  json tasks = json::array();
  for (const auto& t : d->tasks)
    tasks.push_back(task_json(t));
  out["task_list"] = tasks;
  if (live && live->has_progress) {
    const auto& v = live->progress.verifier;
    out["verifier"] = {
        {"device", v.device}, {"queued", v.queued + v.waiting_run}, {"completed", v.completed}};
  }
  return json_response(200, out);
}

api_response get_tasks(const memory::store& store, const std::string& name) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  auto d = load_campaign(*tx, name);
  if (!d)
    return from_error(d.error());
  json tasks = json::array();
  for (const auto& t : d->tasks)
    tasks.push_back(task_json(t));
  return json_response(200, {{"campaign", name}, {"tasks", tasks}});
}

api_response get_task(const memory::store& store, const std::string& name, const std::string& task) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  auto t = memory::get_task(*tx, name, task);
  if (!t) {
    if (code_of(t.error()) == errc::not_found)
      return error_response(404, "no task '" + task + "' in campaign '" + name + "'");
    return from_error(t.error());
  }
  auto list = memory::list_candidates(*tx, name, task);
  if (!list)
    return from_error(list.error());
  std::map<std::string, const memory::candidate_record*> by_hash;
  json history = json::array();
  for (const auto& c : *list) {
    by_hash[c.hash] = &c;
    history.push_back(candidate_summary(c));
  }
  // Lineage of the best: follow first parents back to a root, then list root -> best.
  json lineage = json::array();
  std::string source;
  std::vector<const memory::candidate_record*> chain;
  std::set<std::string> visited;
  for (auto at = by_hash.find(t->best_hash); at != by_hash.end() && visited.insert(at->first).second;) {
    chain.push_back(at->second);
    if (at->second->parents.empty())
      break;
    at = by_hash.find(at->second->parents.front());
  }
  std::reverse(chain.begin(), chain.end());
  for (const auto* c : chain)
    lineage.push_back({{"hash", c->hash},
                       {"parent", c->parents.empty() ? "" : c->parents.front()},
                       {"seq", c->seq},
                       {"stage", c->stage},
                       {"optimization", c->optimization},
                       {"latency_ns", c->verdict.timing.median_ns},
                       {"speedup_vs_parent", c->speedup_vs_parent},
                       {"speedup_vs_ref", c->speedup_vs_ref}});
  if (!chain.empty())
    source = chain.back()->source;
  return json_response(200, {{"campaign", name},
                             {"task", task_json(*t)},
                             {"history", history},
                             {"lineage", lineage},
                             {"best_source", source}});
}

api_response get_history(const memory::store& store, const std::string& name) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  auto d = load_campaign(*tx, name);
  if (!d)
    return from_error(d.error());
  auto cands = all_candidates(*tx, *d);
  if (!cands)
    return from_error(cands.error());
  std::vector<std::pair<int64_t, bool>> events;
  for (const auto& c : *cands)
    events.emplace_back(c.created_ms, c.verdict.feasible);
  std::sort(events.begin(), events.end());
  // At most ~300 points: keep every k-th and the last.
  const size_t k = std::max<size_t>(1, events.size() / 300);
  json points = json::array();
  int64_t n = 0;
  int64_t feasible = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    n += 1;
    feasible += events[i].second ? 1 : 0;
    if (i % k == k - 1 || i + 1 == events.size())
      points.push_back({{"t_ms", events[i].first}, {"evaluations", n}, {"feasible", feasible}});
  }
  return json_response(200, {{"campaign", name}, {"points", points}});
}

api_response get_candidate(const memory::store& store, const std::string& hash) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  auto c = memory::get_candidate(*tx, hash);
  if (!c) {
    if (code_of(c.error()) == errc::not_found)
      return error_response(404, "no candidate " + hash);
    return from_error(c.error());
  }
  auto out = candidate_summary(*c);
  out["campaign"] = c->campaign;
  out["source"] = c->source;
  out["policy"] = c->policy;
  out["model"] = c->model;
  out["context_ids"] = c->context_ids;
  out["perf_state"] = c->perf_state;
  out["device"] = c->device;
  out["reward"] = c->reward;
  json knobs = json::object();
  for (const auto& k : c->knobs)
    knobs[k.name] = k.value;
  out["knobs"] = knobs;
  out["verdict"] = verdict_json(c->verdict);
  return json_response(200, out);
}

api_response get_memory(const memory::store& store, const std::map<std::string, std::string>& query) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  auto kind = query.count("kind") > 0 ? query.at("kind") : std::string{};
  json items = json::array();
  auto err = memory::for_each_memory(*tx, [&](memory::memory_item&& m) -> caf::error {
    if (!kind.empty() && m.kind != kind)
      return {};
    items.push_back({{"id", m.id},
                     {"kind", m.kind},
                     {"family", m.family},
                     {"state", m.state},
                     {"tags", m.tags},
                     {"text", m.text},
                     {"q1", m.q1},
                     {"q2", m.q2},
                     {"visits1", m.visits1},
                     {"visits2", m.visits2},
                     {"source_tasks", m.source_tasks},
                     {"updated_ms", m.updated_ms}});
    return {};
  });
  if (err)
    return from_error(err);
  return json_response(200, {{"items", items}, {"count", items.size()}});
}

api_response get_llm(const memory::store& store) {
  auto usage = collect_llm_usage(store);
  if (!usage)
    return from_error(usage.error());
  json rows = json::array();
  int64_t calls = 0;
  int64_t tin = 0;
  int64_t tout = 0;
  double cost = 0;
  for (const auto& u : *usage) {
    rows.push_back({{"campaign", u.campaign},
                    {"model", u.model},
                    {"requests", u.requests},
                    {"errors", u.errors},
                    {"tokens_in", u.tokens_in},
                    {"tokens_out", u.tokens_out},
                    {"cost", u.cost},
                    {"latency_ms", u.latency_ms}});
    calls += u.requests;
    tin += u.tokens_in;
    tout += u.tokens_out;
    cost += u.cost;
  }
  return json_response(200, {{"requests", calls},
                             {"tokens_in", tin},
                             {"tokens_out", tout},
                             {"cost", cost},
                             {"by_campaign_model", rows}});
}

api_response get_devices(api_hooks& hooks) {
  json out = json::array();
  for (const auto& v : hooks.devices())
    out.push_back({{"device", v.device},
                   {"queued", v.queued},
                   {"compiling", v.compiling},
                   {"waiting_run", v.waiting_run},
                   {"running", v.running},
                   {"completed", v.completed},
                   {"cache_hits", v.cache_hits},
                   {"busy_share", v.uptime_ms > 0 ? v.run_busy_ms / v.uptime_ms : 0.0}});
  return json_response(200, {{"devices", out}});
}

api_response post_control(api_hooks& hooks, const std::string& name, const std::string& action) {
  auto state = hooks.control(name, action);
  if (!state) {
    if (code_of(state.error()) == errc::not_found)
      return error_response(404, describe(state.error()));
    return error_response(409, describe(state.error()));
  }
  return json_response(202, {{"campaign", name}, {"action", action}, {"state", *state}});
}

bool valid_label(const std::string& s) {
  if (s.empty() || s.size() > 64)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
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
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
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

std::string mime_of(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html")
    return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs")
    return "text/javascript; charset=utf-8";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".png")
    return "image/png";
  if (ext == ".json")
    return "application/json";
  return "application/octet-stream";
}

api_response get_static(const api_settings& settings, const std::string& path) {
  if (settings.static_dir.empty())
    return error_response(404, "no dashboard is served (static_dir is not set)");
  auto file = static_file(settings.static_dir, path == "/" || path.empty() ? "/index.html" : path);
  if (!file)
    return from_error(file.error());
  std::ifstream in{*file, std::ios::binary};
  if (!in)
    return error_response(404, "no such file: " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  api_response r;
  r.content_type = mime_of(*file);
  r.body = buf.str();
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

api_response method_not_allowed(const std::string& allow) {
  auto r = error_response(405, "method not allowed; use " + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

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
  if (!s.empty() && s[0] == "metrics" && s.size() == 1) {
    if (!get)
      return method_not_allowed("GET");
    auto text = render_metrics(store, hooks);
    if (!text)
      return from_error(text.error());
    api_response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = std::move(*text);
    return r;
  }
  if (!is_api) {
    if (!get)
      return method_not_allowed("GET");
    return get_static(settings, req.target.substr(0, req.target.find('?')));
  }
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
  if (n == 2 && s[1] == "daemon") {
    if (!get)
      return method_not_allowed("GET");
    api_response r;
    r.body = hooks.daemon_info();
    return r;
  }
  if (n == 2 && s[1] == "snapshot")
    return post ? post_snapshot(store, settings, req.body) : method_not_allowed("POST");
  return error_response(404, "no route for " + req.method + " " + req.target.substr(0, 200));
}

}  // namespace

api_response error_response(int status, const std::string& message) {
  return json_response(status, {{"error", {{"status", status}, {"message", message}}}});
}

bool percent_decode(const std::string& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i] == '+' ? ' ' : in[i]);
      continue;
    }
    if (i + 2 >= in.size())
      return false;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9')
        return c - '0';
      if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
      if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
      return -1;
    };
    int hi = hex(in[i + 1]);
    int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0)
      return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

caf::expected<std::filesystem::path> static_file(const std::filesystem::path& root,
                                                 const std::string& url_path) {
  std::filesystem::path rel;
  size_t at = 0;
  while (at <= url_path.size()) {
    auto next = url_path.find('/', at);
    if (next == std::string::npos)
      next = url_path.size();
    if (next > at) {
      std::string seg;
      if (!percent_decode(url_path.substr(at, next - at), seg))
        return make_error(errc::bad_request, "malformed percent-escape in " + url_path.substr(0, 200));
      if (seg == ".." || seg == "." || seg.find('/') != std::string::npos ||
          seg.find('\\') != std::string::npos || seg.find('\0') != std::string::npos)
        return make_error(errc::bad_request, "path traversal refused: " + url_path.substr(0, 200));
      rel /= seg;
    }
    at = next + 1;
  }
  if (rel.empty())
    return make_error(errc::not_found, "no file named");
  std::error_code ec;
  auto base = std::filesystem::canonical(root, ec);
  if (ec)
    return make_error(errc::not_found, "the dashboard directory is missing: " + root.string());
  auto full = std::filesystem::canonical(base / rel, ec);
  if (ec || !std::filesystem::is_regular_file(full, ec))
    return make_error(errc::not_found, "no such file: " + url_path.substr(0, 200));
  // A symlink inside the root must not lead out of it.
  auto b = base.string() + "/";
  if (full.string().compare(0, b.size(), b) != 0)
    return make_error(errc::bad_request, "path traversal refused: " + url_path.substr(0, 200));
  return full;
}

double best_speedup(const memory::task_record& t) noexcept {
  if (t.best_hash.empty() || t.best_latency_ns <= 0 || t.reference_latency_ns <= 0)
    return 0;
  return t.reference_latency_ns / t.best_latency_ns;
}

std::vector<std::pair<double, double>> fast_p_curve(const std::vector<memory::task_record>& tasks) {
  std::vector<std::pair<double, double>> out;
  for (int i = 0; i <= 16; ++i) {
    double p = i * 0.25;
    size_t n = 0;
    for (const auto& t : tasks) {
      double s = best_speedup(t);
      if (s > 0 && s > p)
        n += 1;
    }
    out.emplace_back(p, tasks.empty() ? 0.0 : static_cast<double>(n) / static_cast<double>(tasks.size()));
  }
  return out;
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
