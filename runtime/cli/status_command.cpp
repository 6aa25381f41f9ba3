#include "runtime/api/progress_view.hpp"
#include "runtime/cli/commands.hpp"

#include "memory/store.hpp"
#include "runtime/api/api_views.hpp"
#include "runtime/campaign/owner_lock.hpp"
#include "runtime/cli/cli_io.hpp"
#include "runtime/cli/exit_codes.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace kforge::runtime {

namespace {

actors::campaign_progress progress_from_store(const memory::campaign_record& c,
                                              const std::vector<memory::task_record>& tasks,
                                              const std::filesystem::path& store) {
  actors::campaign_progress p;
  p.campaign = c.id;
  p.status = c.status;
  p.store_path = store.string();
  p.evaluations = c.evaluations;
  p.session_evaluations = c.evaluations;
  p.elapsed_ms = c.wall_ms;
  for (const auto& r : tasks)
    p.tasks.push_back(actors::progress_of(r, 0));
  return p;
}

// "llm: 12 calls (1 failed), 7 retries, tokens 3400 in / 9100 out, cost 0.0123".
std::string llm_usage_line(const std::vector<memory::llm_call_record>& calls) {
  int64_t failed = 0;
  int64_t retries = 0;
  int64_t in = 0;
  int64_t out = 0;
  double cost = 0;
  for (const auto& c : calls) {
    failed += c.outcome == "ok" ? 0 : 1;
    retries += static_cast<int64_t>(c.errors.size()) - (c.outcome == "ok" ? 0 : 1);
    in += c.tokens_in;
    out += c.tokens_out;
    cost += c.cost;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", cost);
  return "llm: " + std::to_string(calls.size()) + " calls (" + std::to_string(failed) + " failed), " +
         std::to_string(std::max<int64_t>(0, retries)) + " retries, tokens " + std::to_string(in) + " in / " +
         std::to_string(out) + " out, cost " + buf;
}

// "interrupted" for a campaign whose record says running while no process holds its owner lock.
std::string live_status(const std::string& stored, const owner_state& owner) {
  if (stored != "running")
    return stored;
  return owner.held ? "running" : "interrupted";
}

}  // namespace

int status_command(const status_options& opts) {
  const auto& store_path = opts.store;
  const auto& campaign = opts.campaign;
  int code = exit_ok;
  auto store = open_existing(store_path, code);
  if (!store)
    return code;
  auto tx = store->read();
  if (!tx) {
    std::cerr << "kforge: " << describe(tx.error()) << '\n';
    return exit_store;
  }
  auto campaigns = memory::list_campaigns(*tx);
  if (!campaigns) {
    std::cerr << "kforge: " << describe(campaigns.error()) << '\n';
    return exit_store;
  }
  int shown = 0;
  auto listed = nlohmann::json::array();
  for (const auto& c : *campaigns) {
    if (!campaign.empty() && c.id != campaign)
      continue;
    auto tasks = memory::list_tasks(*tx, c.id);
    if (!tasks) {
      std::cerr << "kforge: " << describe(tasks.error()) << '\n';
      return exit_store;
    }
    // A record that says running is live only while its owner holds the lock; else its run died.
    auto owner = owner_lock::probe(store_path, c.id);
    auto status = live_status(c.status, owner);
    if (opts.json) {
      auto j = campaign_summary(c, *tasks, std::nullopt, budget_of(c, std::nullopt, tasks->size()));
      j["state"] = status;
      j["owner_pid"] = owner.held ? nlohmann::json(owner.pid) : nlohmann::json(nullptr);
      j["task_records"] = json_list(*tasks, task_json);
      listed.push_back(std::move(j));
      ++shown;
      continue;
    }
    auto progress = progress_from_store(c, *tasks, store_path);
    progress.status = status;
    if (status == "running" && owner.pid > 0)
      progress.note = "owned by process " + std::to_string(owner.pid);
    else if (status == "interrupted")
      progress.note = "no process owns it: its last run was killed or crashed";
    // The LLM budget's end, and the calls on record.
    for (const auto& r : *tasks)
      if (r.stop_reason == "LLM budget spent" && progress.note.empty())
        progress.note = "LLM budget spent";
    auto calls = memory::list_llm_calls(*tx, c.id);
    if (calls && c.status != "finished")
      apply_model_waits(progress, *calls);
    if (status != "running") {
      // Not running now: the tasks' last calls say why it stopped, not that they wait.
      for (auto& t : progress.tasks) {
        if (t.waiting_since_ms != 0 && progress.note.empty())
          progress.note = "the model was unreachable since " + format_wall(t.waiting_since_ms) +
                          " (last: " + t.last_error + ")";
        t.waiting_since_ms = 0;
        t.last_error.clear();
      }
    }
    std::cout << render_summary(progress);
    if (calls && !calls->empty())
      std::cout << llm_usage_line(*calls) << '\n';
    if (status != "finished" && status != "running")
      std::cout << "resume with: kforge resume --store " << store_path.string() << '\n';
    ++shown;
  }
  if (shown == 0 && !(opts.json && campaign.empty())) {
    std::cerr << "kforge: no campaign" << (campaign.empty() ? "" : " named " + campaign) << " in "
              << store_path.string() << '\n';
    return exit_usage;
  }
  if (opts.json)
    std::cout << dump(listed) << '\n';
  return exit_ok;
}

}  // namespace kforge::runtime
