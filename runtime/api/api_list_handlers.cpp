#include "runtime/api/api_handlers.hpp"

#include "runtime/api/api_views.hpp"
#include "runtime/api/metrics.hpp"
#include "runtime/api/progress_view.hpp"

#include <algorithm>
#include <set>

namespace kforge::runtime {

api_response get_campaigns(const memory::store& store, api_hooks& hooks) {
  return with_read(store, [&](const memory::read_txn& tx) {
    auto list = memory::list_campaigns(tx);
    if (!list)
      return from_error(list.error());
    auto live = hooks.live_campaigns();
    json out = json::array();
    std::set<std::string> seen;
    for (const auto& c : *list) {
      auto tasks = memory::list_tasks(tx, c.id);
      if (!tasks)
        return from_error(tasks.error());
      auto l = live_named(live, c.id);
      out.push_back(campaign_summary(c, *tasks, l, budget_of(c, l, tasks->size())));
      seen.insert(c.id);
    }
    // Campaigns the daemon knows that have no record yet (starting, or a config that does not load).
    for (const auto& x : live) {
      if (seen.count(x.name) > 0)
        continue;
      memory::campaign_record none;
      none.id = x.name;
      none.status.clear();
      out.push_back(campaign_summary(none, {}, x, x.has_progress ? x.progress.budget : 0));
    }
    return json_response(200, {{"campaigns", out}});
  });
}

namespace {

// The tasks that wait for the model: from the live progress when the daemon runs the campaign,
// else from the calls on record (apply_model_waits). One object per task: task, since_ms, last_error.
json waiting_json(const memory::read_txn& tx, const campaign_data& d,
                  const std::optional<live_campaign>& live) {
  actors::campaign_progress p;
  if (live && live->has_progress) {
    p = live->progress;
  } else {
    for (const auto& t : d.tasks)
      p.tasks.push_back(actors::progress_of(t, 0));
    if (auto calls = memory::list_llm_calls(tx, d.campaign.id); calls && d.campaign.status != "finished")
      apply_model_waits(p, *calls);
  }
  json out = json::array();
  for (const auto& t : p.tasks)
    if (t.waiting_since_ms != 0 && t.phase != "done")
      out.push_back({{"task", t.task_id}, {"since_ms", t.waiting_since_ms}, {"last_error", t.last_error}});
  return out;
}

}  // namespace

api_response get_campaign(const memory::store& store, api_hooks& hooks, const std::string& name) {
  return with_campaign(store, name, [&](const memory::read_txn& tx, const campaign_data& d) {
    auto cands = all_candidates(tx, d);
    if (!cands)
      return from_error(cands.error());
    auto live = live_named(hooks.live_campaigns(), name);
    auto out = campaign_summary(d.campaign, d.tasks, live, budget_of(d.campaign, live, d.tasks.size()));
    std::map<std::string, int64_t> verdicts;
    for (const auto& g : {"passed", "parse", "hack", "compile", "correctness", "latency"})
      verdicts[g] = 0;
    for (const auto& c : *cands)
      verdicts[verdict_class(c.verdict)] += 1;
    out["verdicts"] = verdicts;
    out["fast_p"] = json_list(fast_p_curve(d.tasks), [](const std::pair<double, double>& point) {
      return json{{"p", point.first}, {"share", point.second}};
    });
    out["task_list"] = json_list(d.tasks, task_json);
    // Tasks the daemon has not started yet have no record: listed from its progress.
    if (live && live->has_progress) {
      std::set<std::string> stored;
      for (const auto& t : d.tasks)
        stored.insert(t.task_id);
      for (const auto& t : live->progress.tasks) {
        if (stored.count(t.task_id) > 0)
          continue;
        memory::task_record none;
        none.task_id = t.task_id;
        none.family = t.family;
        none.phase = "not started";
        out["task_list"].push_back(task_json(none));
      }
    }
    out["waiting_for_model"] = waiting_json(tx, d, live);
    if (live && live->has_progress) {
      const auto& v = live->progress.verifier;
      out["verifier"] = {
          {"device", v.device}, {"queued", v.queued + v.waiting_run}, {"completed", v.completed}};
    }
    return json_response(200, out);
  });
}

api_response get_tasks(const memory::store& store, const std::string& name) {
  return with_campaign(store, name, [&](const memory::read_txn&, const campaign_data& d) {
    return json_response(200, {{"campaign", name}, {"tasks", json_list(d.tasks, task_json)}});
  });
}

api_response get_task(const memory::store& store, const std::string& name, const std::string& task) {
  return with_read(store, [&](const memory::read_txn& tx) {
    auto t = memory::get_task(tx, name, task);
    if (!t) {
      if (code_of(t.error()) == errc::not_found)
        return error_response(404, "no task '" + task + "' in campaign '" + name + "'");
      return from_error(t.error());
    }
    auto list = memory::list_candidates(tx, name, task);
    if (!list)
      return from_error(list.error());
    std::map<std::string, const memory::candidate_record*> by_hash;
    for (const auto& c : *list)
      by_hash[c.hash] = &c;
    // Lineage of the best: follow first parents back to a root, then list root -> best.
    std::vector<const memory::candidate_record*> chain;
    std::set<std::string> visited;
    for (auto at = by_hash.find(t->best_hash); at != by_hash.end() && visited.insert(at->first).second;) {
      chain.push_back(at->second);
      if (at->second->parents.empty())
        break;
      at = by_hash.find(at->second->parents.front());
    }
    std::reverse(chain.begin(), chain.end());
    auto lineage = json_list(chain, [](const memory::candidate_record* c) {
      return json{{"hash", c->hash},
                  {"parent", c->parents.empty() ? "" : c->parents.front()},
                  {"seq", c->seq},
                  {"stage", c->stage},
                  {"optimization", c->optimization},
                  {"latency_ns", c->verdict.timing.median_ns},
                  {"speedup_vs_parent", c->speedup_vs_parent},
                  {"speedup_vs_ref", c->speedup_vs_ref}};
    });
    json archive = json::array();
    if (auto c = memory::get_campaign(tx, name))
      archive = archive_json(*list, *c, t->reference_latency_ns);
    return json_response(200, {{"campaign", name},
                               {"task", task_json(*t)},
                               {"archive", archive},
                               {"history", json_list(*list, candidate_summary)},
                               {"lineage", lineage},
                               {"best_source", chain.empty() ? std::string{} : chain.back()->source}});
  });
}

api_response get_history(const memory::store& store, const std::string& name) {
  return with_campaign(store, name, [&](const memory::read_txn& tx, const campaign_data& d) {
    auto cands = all_candidates(tx, d);
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
  });
}

api_response get_candidate(const memory::store& store, const std::string& hash) {
  return with_read(store, [&](const memory::read_txn& tx) {
    auto c = memory::get_candidate(tx, hash);
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
  });
}

api_response get_memory(const memory::store& store, const std::map<std::string, std::string>& query) {
  auto kind = query_value(query, "kind");
  return with_read(store, [&](const memory::read_txn& tx) {
    json items = json::array();
    auto err = memory::for_each_memory(tx, [&](memory::memory_item&& m) -> caf::error {
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
  });
}

api_response get_llm(const memory::store& store) {
  auto usage = collect_llm_usage(store);
  if (!usage)
    return from_error(usage.error());
  int64_t calls = 0;
  int64_t tin = 0;
  int64_t tout = 0;
  double cost = 0;
  for (const auto& u : *usage) {
    calls += u.requests;
    tin += u.tokens_in;
    tout += u.tokens_out;
    cost += u.cost;
  }
  auto rows = json_list(*usage, [](const llm_usage& u) {
    return json{{"campaign", u.campaign}, {"model", u.model},          {"requests", u.requests},
                {"errors", u.errors},     {"tokens_in", u.tokens_in},  {"tokens_out", u.tokens_out},
                {"cost", u.cost},         {"latency_ms", u.latency_ms}};
  });
  return json_response(200, {{"requests", calls},
                             {"tokens_in", tin},
                             {"tokens_out", tout},
                             {"cost", cost},
                             {"by_campaign_model", rows}});
}

api_response get_devices(api_hooks& hooks) {
  auto out = json_list(hooks.devices(), [](const actors::verifier_stats& v) {
    return json{
        {"device", v.device},         {"queued", v.queued},
        {"compiling", v.compiling},   {"waiting_run", v.waiting_run},
        {"running", v.running},       {"completed", v.completed},
        {"cache_hits", v.cache_hits}, {"busy_share", v.uptime_ms > 0 ? v.run_busy_ms / v.uptime_ms : 0.0}};
  });
  return json_response(200, {{"devices", out}});
}

}  // namespace kforge::runtime
