#include "runtime/api/progress_view.hpp"
#include "runtime/cli/commands.hpp"

#include "memory/store.hpp"

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

}  // namespace

int status_command(const std::filesystem::path& store_path, const std::string& campaign) {
  if (!std::filesystem::exists(store_path / "data.mdb")) {
    std::cerr << "kforge: no store at " << store_path.string() << '\n';
    return 2;
  }
  auto store = memory::store::open(store_path);
  if (!store) {
    std::cerr << "kforge: " << describe(store.error()) << '\n';
    return 1;
  }
  auto tx = store->read();
  if (!tx) {
    std::cerr << "kforge: " << describe(tx.error()) << '\n';
    return 1;
  }
  auto campaigns = memory::list_campaigns(*tx);
  if (!campaigns) {
    std::cerr << "kforge: " << describe(campaigns.error()) << '\n';
    return 1;
  }
  int shown = 0;
  for (const auto& c : *campaigns) {
    if (!campaign.empty() && c.id != campaign)
      continue;
    auto tasks = memory::list_tasks(*tx, c.id);
    if (!tasks) {
      std::cerr << "kforge: " << describe(tasks.error()) << '\n';
      return 1;
    }
    auto progress = progress_from_store(c, *tasks, store_path);
    // The LLM budget's end, and the calls on record.
    for (const auto& r : *tasks)
      if (r.stop_reason == "LLM budget spent" && progress.note.empty())
        progress.note = "LLM budget spent";
    auto calls = memory::list_llm_calls(*tx, c.id);
    if (calls && c.status != "finished")
      apply_model_waits(progress, *calls);
    if (c.status != "running") {
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
    if (c.status != "finished")
      std::cout << "resume with: kforge resume --store " << store_path.string() << '\n';
    ++shown;
  }
  if (shown == 0) {
    std::cerr << "kforge: no campaign" << (campaign.empty() ? "" : " named " + campaign) << " in "
              << store_path.string() << '\n';
    return 2;
  }
  return 0;
}

}  // namespace kforge::runtime
