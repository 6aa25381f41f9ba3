#include "runtime/api/metrics.hpp"

#include "memory/codec.hpp"

#include <map>
#include <sstream>
#include <tuple>

namespace kforge::runtime {

namespace {

// One metric family: HELP and TYPE once, then its samples.
class family {
 public:
  family(std::ostringstream& out, const char* name, const char* type, const char* help)
      : out_(out), name_(name) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  template <class T>
  void sample(std::initializer_list<std::pair<const char*, std::string>> labels, T value) {
    out_ << name_;
    if (labels.size() > 0) {
      out_ << '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        out_ << (first ? "" : ",") << k << "=\"" << escape_label(v) << '"';
        first = false;
      }
      out_ << '}';
    }
    out_ << ' ' << value << '\n';
  }

 private:
  std::ostringstream& out_;
  const char* name_;
};

}  // namespace

std::string escape_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

caf::expected<std::vector<llm_usage>> collect_llm_usage(const memory::store& store) {
  auto tx = store.read();
  if (!tx)
    return tx.error();
  std::map<std::pair<std::string, std::string>, llm_usage> by;
  auto err = tx->for_each(memory::table::llm_calls, "", [&](std::string_view key, std::string_view value) {
    memory::llm_call_record rec;
    if (auto e = memory::decode(value, memory::table::llm_calls, key, rec))
      return e;
    auto& u = by[{rec.campaign, rec.model}];
    u.campaign = rec.campaign;
    u.model = rec.model;
    u.requests += 1;
    u.errors += rec.outcome == "ok" ? 0 : 1;
    u.tokens_in += rec.tokens_in;
    u.tokens_out += rec.tokens_out;
    u.cost += rec.cost;
    u.latency_ms += rec.latency_ms;
    return caf::error{};
  });
  if (err)
    return err;
  std::vector<llm_usage> out;
  for (auto& [k, u] : by)
    out.push_back(std::move(u));
  return out;
}

caf::expected<std::string> render_metrics(const memory::store& store, const api_hooks& hooks) {
  std::ostringstream out;
  out.precision(10);
  auto live = hooks.live_campaigns();
  {
    auto tx = store.read();
    if (!tx)
      return tx.error();
    auto campaigns = memory::list_campaigns(*tx);
    if (!campaigns)
      return campaigns.error();
    std::map<std::tuple<std::string, std::string, std::string>, int64_t> evals;
    std::map<std::tuple<std::string, std::string, std::string>, int64_t> gates;
    std::map<std::pair<std::string, std::string>, double> speedups;
    std::map<std::string, int64_t> committed;
    for (const auto& c : *campaigns) {
      auto tasks = memory::list_tasks(*tx, c.id);
      if (!tasks)
        return tasks.error();
      for (const auto& t : *tasks) {
        speedups[{c.id, t.task_id}] = best_speedup(t);
        committed[c.id] += t.evaluations;
        auto list = memory::list_candidates(*tx, c.id, t.task_id);
        if (!list)
          return list.error();
        for (const auto& cand : *list) {
          const auto& v = cand.verdict;
          evals[{c.id, v.feasible ? "feasible" : "infeasible",
                 v.failed_gate.empty() ? "none" : v.failed_gate}] += 1;
          for (const auto& g : v.gates)
            gates[{c.id, g.gate, g.passed ? "pass" : "fail"}] += 1;
        }
      }
    }
    family e{out, "kforge_evaluations_total", "counter",
             "Committed evaluations by verdict and first failing gate."};
    for (const auto& [k, n] : evals)
      e.sample({{"campaign", std::get<0>(k)}, {"verdict", std::get<1>(k)}, {"gate", std::get<2>(k)}}, n);
    family g{out, "kforge_gate_results_total", "counter", "Gate runs by gate and result."};
    for (const auto& [k, n] : gates)
      g.sample({{"campaign", std::get<0>(k)}, {"gate", std::get<1>(k)}, {"result", std::get<2>(k)}}, n);
    family ce{out, "kforge_campaign_evaluations", "gauge", "Committed evaluations of a campaign."};
    for (const auto& c : *campaigns)
      ce.sample({{"campaign", c.id}}, committed[c.id]);
    family cs{out, "kforge_campaign_state", "gauge", "1 for the campaign's current state."};
    for (const auto& c : *campaigns) {
      std::string state = c.status;
      for (const auto& l : live)
        if (l.name == c.id)
          state = l.state;
      cs.sample({{"campaign", c.id}, {"state", state}}, 1);
    }
    family s{out, "kforge_task_best_speedup", "gauge",
             "Reference latency over the task's best latency (0: none)."};
    for (const auto& [k, v] : speedups)
      s.sample({{"campaign", k.first}, {"task", k.second}}, v);
    std::map<std::string, int64_t> kinds;
    auto err = memory::for_each_memory(*tx, [&](memory::memory_item&& m) -> caf::error {
      kinds[m.kind] += 1;
      return {};
    });
    if (err)
      return err;
    family m{out, "kforge_memory_items", "gauge", "Memory items by kind."};
    for (const auto& [k, n] : kinds)
      m.sample({{"kind", k}}, n);
  }
  family cb{out, "kforge_campaign_budget", "gauge", "Overall evaluation budget of a running campaign."};
  for (const auto& l : live)
    if (l.has_progress)
      cb.sample({{"campaign", l.name}}, l.progress.budget);
  auto devices = hooks.devices();
  family q{out, "kforge_verifier_queue_depth", "gauge", "Verifications waiting to compile or to run."};
  for (const auto& d : devices)
    q.sample({{"device", d.device}}, d.queued + d.waiting_run);
  family b{out, "kforge_verifier_busy_ratio", "gauge", "Share of the pool's uptime its run stage was busy."};
  for (const auto& d : devices)
    b.sample({{"device", d.device}}, d.uptime_ms > 0 ? d.run_busy_ms / d.uptime_ms : 0.0);
  family vc{out, "kforge_verifier_completed_total", "counter",
            "Verdicts delivered by the pool since it started."};
  for (const auto& d : devices)
    vc.sample({{"device", d.device}}, d.completed);
  auto usage = collect_llm_usage(store);
  if (!usage)
    return usage.error();
  family lr{out, "kforge_llm_requests_total", "counter", "Policy (LLM) requests by outcome."};
  for (const auto& u : *usage) {
    lr.sample({{"campaign", u.campaign}, {"model", u.model}, {"outcome", "ok"}}, u.requests - u.errors);
    lr.sample({{"campaign", u.campaign}, {"model", u.model}, {"outcome", "error"}}, u.errors);
  }
  family lt{out, "kforge_llm_tokens_total", "counter", "Policy tokens by direction."};
  for (const auto& u : *usage) {
    lt.sample({{"campaign", u.campaign}, {"model", u.model}, {"direction", "in"}}, u.tokens_in);
    lt.sample({{"campaign", u.campaign}, {"model", u.model}, {"direction", "out"}}, u.tokens_out);
  }
  family lc{out, "kforge_llm_cost_total", "counter", "Policy cost in the endpoint's currency units."};
  for (const auto& u : *usage)
    lc.sample({{"campaign", u.campaign}, {"model", u.model}}, u.cost);
  return out.str();
}

}  // namespace kforge::runtime
