#include "tests/support/campaign_view.hpp"

#include <stdexcept>

namespace kforge::test {

namespace {

template <class T>
T take(caf::expected<T> x, const std::string& what) {
  if (!x)
    throw std::runtime_error("cannot read " + what + ": " + describe(x.error()));
  return std::move(*x);
}

}  // namespace

campaign_view read_campaign(const std::filesystem::path& path, const std::string& campaign) {
  auto store = take(memory::store::open(path), "the store at " + path.string());
  auto tx = take(store.read(), "the store at " + path.string());
  campaign_view view;
  view.campaign = take(memory::get_campaign(tx, campaign), "campaign " + campaign);
  view.tasks = take(memory::list_tasks(tx, campaign), "the tasks of " + campaign);
  for (const auto& t : view.tasks) {
    auto list = take(memory::list_candidates(tx, campaign, t.task_id), "the candidates of " + t.task_id);
    for (const auto& c : list) {
      view.order[t.task_id].push_back(c.hash);
      view.candidates[c.hash] = c;
    }
  }
  return view;
}

}  // namespace kforge::test
