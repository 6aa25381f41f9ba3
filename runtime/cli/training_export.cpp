#include "runtime/cli/training_export.hpp"

#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/cli/cli_io.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace kforge::runtime {

namespace {

using json = nlohmann::json;

// JSON has no infinity or NaN: an unknown number is null.
json number_or_null(double v) {
  return std::isfinite(v) && v > 0 ? json(v) : json(nullptr);
}

json step_json(const memory::candidate_record& parent, const memory::candidate_record& child,
               const memory::llm_call_record* call, const step_gain& g) {
  json out;
  out["campaign"] = child.campaign;
  out["task"] = child.task_id;
  out["call_id"] = child.call_id;
  out["technique"] = child.technique;
  out["optimization"] = child.optimization;
  out["system_prompt"] = call != nullptr ? call->system_prompt : "";
  out["user_prompt"] = call != nullptr ? call->user_prompt : "";
  std::string completion;
  if (call != nullptr) {
    auto completions = completions_of(*call);
    auto i = completion_index(completions, child.source);
    if (i >= 0)
      completion = completions[static_cast<std::size_t>(i)];
    out["model"] = call->model;
    out["endpoint"] = call->endpoint;
  }
  out["completion"] = completion;
  auto side = [](const memory::candidate_record& c) {
    auto j = record_json(c);
    return json{{"hash", c.hash}, {"source", c.source}, {"verdict", j.value("verdict", json::object())}};
  };
  out["parent"] = side(parent);
  out["child"] = side(child);
  out["gain"] = number_or_null(g.gain);
  out["gain_low"] = number_or_null(g.low);
  out["gain_high"] = number_or_null(g.high);
  out["noise"] = g.gain > 0 ? json(g.noise) : json(nullptr);
  out["noise_from"] = g.noise_from;
  return out;
}

}  // namespace

step_gain measure_gain(const kforge::timing_stats& parent, const kforge::timing_stats& child) {
  step_gain g;
  const double p = parent.median_ns;
  const double c = child.median_ns;
  if (!(p > 0) || !(c > 0) || parent.count <= 0 || child.count <= 0)
    return g;
  const bool ci = parent.ci_half_ns > 0 && child.ci_half_ns > 0;
  const double dp = ci ? parent.ci_half_ns : parent.stddev_ns;
  const double dc = ci ? child.ci_half_ns : child.stddev_ns;
  g.noise_from = ci ? "ci" : "stddev";
  g.gain = p / c;
  g.low = std::max(0.0, p - dp) / (c + dc);
  g.high = c - dc > 0 ? (p + dp) / (c - dc) : 0;
  g.noise = std::sqrt((dp / p) * (dp / p) + (dc / c) * (dc / c));
  return g;
}

bool keeps_step(const kforge::verdict& parent, const kforge::verdict& child, const step_gain& gain,
                const step_filter& filter) {
  if (filter.correct_only && !(parent.feasible && child.feasible))
    return false;
  if (filter.above_noise && !(gain.gain > 0 && gain.low > 1.0))
    return false;
  return true;
}

std::vector<std::string> completions_of(const memory::llm_call_record& call) {
  std::vector<std::string> out;
  auto parsed = json::parse(call.response, nullptr, false);
  if (!parsed.is_array())
    return out;
  for (const auto& c : parsed)
    if (c.is_string())
      out.push_back(c.get<std::string>());
  return out;
}

int completion_index(const std::vector<std::string>& completions, std::string_view source) {
  while (!source.empty() && (source.back() == '\n' || source.back() == ' '))
    source.remove_suffix(1);
  if (source.empty())
    return -1;
  for (std::size_t i = 0; i < completions.size(); ++i)
    if (completions[i].find(source) != std::string::npos)
      return static_cast<int>(i);
  return -1;
}

json record_json(const memory::candidate_record& rec) {
  auto line = json_line(rec);
  if (!line)
    return json::object();
  auto parsed = json::parse(*line, nullptr, false);
  return parsed.is_discarded() ? json::object() : parsed;
}

json call_json(const memory::llm_call_record& rec) {
  json out = json::object();
  if (auto line = json_line(rec)) {
    auto parsed = json::parse(*line, nullptr, false);
    if (parsed.is_object())
      out = std::move(parsed);
  }
  out.erase("response");
  out["system_prompt"] = rec.system_prompt;
  out["user_prompt"] = rec.user_prompt;
  out["completions"] = completions_of(rec);
  return out;
}

caf::error for_each_call(const memory::txn& tx, std::string_view campaign, std::string_view task,
                         const json_visitor& visit) {
  auto calls = memory::list_llm_calls(tx, campaign);
  if (!calls)
    return std::move(calls.error());
  for (auto& call : *calls) {
    if (!task.empty() && call.task_id != task)
      continue;
    if (auto err = memory::load_prompt(tx, call))
      return err;
    if (auto err = visit(call_json(call)))
      return err;
  }
  return caf::none;
}

caf::error for_each_step(const memory::txn& tx, std::string_view campaign, const step_filter& filter,
                         const json_visitor& visit) {
  auto campaigns = memory::list_campaigns(tx);
  if (!campaigns)
    return std::move(campaigns.error());
  for (const auto& c : *campaigns) {
    if (!campaign.empty() && c.id != campaign)
      continue;
    auto tasks = memory::list_tasks(tx, c.id);
    if (!tasks)
      return std::move(tasks.error());
    for (const auto& t : *tasks) {
      auto cands = memory::list_candidates(tx, c.id, t.task_id);
      if (!cands)
        return std::move(cands.error());
      std::map<std::string, const memory::candidate_record*> by_hash;
      for (const auto& cand : *cands)
        by_hash[cand.hash] = &cand;
      for (const auto& child : *cands) {
        if (child.parents.empty())
          continue;
        auto it = by_hash.find(child.parents.front());
        if (it == by_hash.end())
          continue;  // a parent of another task or store (an imported trajectory)
        const auto& parent = *it->second;
        // A gain only between figures that count: a suspect or failed verdict's timing does not.
        auto gain = parent.verdict.is_timed() && child.verdict.is_timed()
                        ? measure_gain(parent.verdict.timing, child.verdict.timing)
                        : step_gain{};
        if (!keeps_step(parent.verdict, child.verdict, gain, filter))
          continue;
        std::optional<memory::llm_call_record> call;
        if (!child.call_id.empty()) {
          auto rec = memory::get_llm_call(tx, child.call_id);
          if (rec) {
            if (auto err = memory::load_prompt(tx, *rec))
              return err;
            call = std::move(*rec);
          } else if (code_of(rec.error()) != errc::not_found) {
            return std::move(rec.error());
          }
        }
        if (auto err = visit(step_json(parent, child, call ? &*call : nullptr, gain)))
          return err;
      }
    }
  }
  return caf::none;
}

caf::expected<memory::candidate_record> find_candidate(const memory::txn& tx, std::string_view prefix) {
  if (prefix.empty())
    return make_error(errc::bad_request, "candidate: an empty hash prefix matches every candidate");
  auto hashes = memory::find_candidate_hashes(tx, prefix, 4);
  if (!hashes)
    return std::move(hashes.error());
  if (hashes->empty())
    return make_error(errc::not_found,
                      "candidate: no candidate hash starts with '" + std::string{prefix} + "'");
  if (hashes->size() > 1) {
    std::string which;
    for (const auto& h : *hashes)
      which += (which.empty() ? "" : ", ") + short_id(h);
    return make_error(errc::bad_request, "candidate: prefix '" + std::string{prefix} + "' is ambiguous (" +
                                             which + (hashes->size() == 4 ? ", ..." : "") +
                                             "); give more characters");
  }
  return memory::get_candidate(tx, hashes->front());
}

}  // namespace kforge::runtime
