#pragma once

// The JSON views of the API and the pieces every handler shares: how a store
// record, a verdict or a campaign reads as JSON, how an error becomes a
// response, and the one helper that opens a read transaction (and a
// campaign) for a handler. Internal to runtime/api; api_router.hpp is the
// interface.

#include "runtime/api/api_router.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kforge::runtime {

using json = nlohmann::json;

/// `j` as compact text; invalid UTF-8 (sources, compiler output) is replaced, never thrown on.
[[nodiscard]] std::string dump(const json& j);

/// A response with status `status` and `j` as its JSON body.
[[nodiscard]] api_response json_response(int status, const json& j);

/// An error response for `err`: 404 for errc::not_found, 400 for errc::bad_request, else 500.
[[nodiscard]] api_response from_error(const caf::error& err);

/// A task record as the API shows it (state, counters, best and its speedup).
[[nodiscard]] json task_json(const memory::task_record& t);

/// True for a stop reason that says the task failed (its reference, the policy, retrieval or the
/// verifier), not that it ran out of budget, plateaued, was exhausted or was stopped.
[[nodiscard]] bool is_failure_reason(const std::string& stop_reason);

/// Every task of a campaign: those stored, or those the daemon's live progress lists when more
/// (it includes tasks that have not started yet).
[[nodiscard]] int64_t total_tasks(const std::vector<memory::task_record>& tasks,
                                  const std::optional<live_campaign>& live);

/// "passed" for a feasible verdict, else the gate that failed.
[[nodiscard]] std::string verdict_class(const kforge::verdict& v);

/// A verdict in full: every gate, the timing statistics, errors and device.
[[nodiscard]] json verdict_json(const kforge::verdict& v);

/// A candidate without its source: lineage, verdict class, latency and speedups.
[[nodiscard]] json candidate_summary(const memory::candidate_record& c);

/// A task's archive as its task actor rebuilds it on resume (its candidates replayed in sequence
/// order under the campaign's [archive] settings from `config_text`, defaults if it does not
/// parse): the members, best first, with latency, speedup over `reference_ns`, Q2 and visits.
[[nodiscard]] json archive_json(const std::vector<memory::candidate_record>& candidates,
                                const memory::campaign_record& campaign, double reference_ns);

/// The noise threshold of a stored campaign ([verifier] noise_threshold; the default when its
/// config does not parse).
[[nodiscard]] double noise_of(const memory::campaign_record& c);

/// The campaign `name` among `live`, if the daemon knows it.
[[nodiscard]] std::optional<live_campaign> live_named(const std::vector<live_campaign>& live,
                                                      const std::string& name);

/// A campaign's overall evaluation budget: the live one while it runs, else from its stored config.
[[nodiscard]] int64_t budget_of(const memory::campaign_record& c, const std::optional<live_campaign>& live,
                                size_t tasks);

/// One campaign of GET /api/campaigns: the stored record and its tasks, overlaid with what the
/// daemon knows now (state, note, file); `budget` as budget_of gives it. "tasks" counts every
/// task (total_tasks: those not started included), "tasks_started" those on record.
[[nodiscard]] json campaign_summary(const memory::campaign_record& c,
                                    const std::vector<memory::task_record>& tasks,
                                    const std::optional<live_campaign>& live, int64_t budget);

/// Every item of `items` through `view`, as a JSON array.
template <class Items, class View>
[[nodiscard]] json json_list(const Items& items, View view) {
  json out = json::array();
  for (const auto& x : items)
    out.push_back(view(x));
  return out;
}

/// A stored campaign with its tasks.
struct campaign_data {
  memory::campaign_record campaign;
  std::vector<memory::task_record> tasks;
};

/// Campaign `name` and its tasks. Errors: errc::not_found (names the campaign), those of the store.
[[nodiscard]] caf::expected<campaign_data> load_campaign(const memory::read_txn& tx, const std::string& name);

/// Every candidate of every task of `d`, task by task in sequence order.
[[nodiscard]] caf::expected<std::vector<memory::candidate_record>> all_candidates(const memory::read_txn& tx,
                                                                                  const campaign_data& d);

/// Answers with `answer(tx)` inside one short read transaction; a store that cannot be read
/// gives its error response.
template <class Answer>
[[nodiscard]] api_response with_read(const memory::store& store, Answer answer) {
  auto tx = store.read();
  if (!tx)
    return from_error(tx.error());
  return answer(*tx);
}

/// Answers with `answer(tx, campaign)` for the stored campaign `name`; an unknown campaign gives
/// 404, a store failure 500.
template <class Answer>
[[nodiscard]] api_response with_campaign(const memory::store& store, const std::string& name, Answer answer) {
  return with_read(store, [&](const memory::read_txn& tx) {
    auto d = load_campaign(tx, name);
    if (!d)
      return from_error(d.error());
    return answer(tx, *d);
  });
}

/// The value of query parameter `key`, or "" when absent.
[[nodiscard]] std::string query_value(const std::map<std::string, std::string>& query,
                                      const std::string& key);

}  // namespace kforge::runtime
