#include "runtime/commands.hpp"
#include "runtime/progress_view.hpp"

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
    std::cout << render_summary(progress_from_store(c, *tasks, store_path));
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
