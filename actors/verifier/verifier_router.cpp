#include "actors/verifier/verifier_router.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <iterator>
#include <map>
#include <set>

namespace kforge::actors {

namespace {

struct router_state {
  std::vector<verifier_actor> pools;
  std::shared_ptr<const kforge::task_map> tasks;
  /// Pool of each task, fixed once given: a task keeps its pool (its prepared reference, its caches)
  /// when a later campaign grows the catalog.
  std::map<std::string, std::size_t> assigned;
  std::size_t next = 0;  ///< round-robin position for tasks that arrive later
  static inline const char* name = "kforge.verifier_router";
};

using router_pointer = verifier_actor::stateful_pointer<router_state>;

}  // namespace

void add_stats(verifier_stats& sum, const verifier_stats& s) {
  sum.device += (sum.device.empty() ? "" : "+") + s.device;
  sum.queued += s.queued;
  sum.compiling += s.compiling;
  sum.waiting_run += s.waiting_run;
  sum.running += s.running;
  sum.completed += s.completed;
  sum.cache_hits += s.cache_hits;
  sum.coalesced += s.coalesced;
  sum.compile_cache_hits += s.compile_cache_hits;
  sum.run_busy_ms += s.run_busy_ms;  // busy share = sum of busy / sum of uptime: the mean over the pools
  sum.uptime_ms += s.uptime_ms;
  sum.backlog_ms += s.backlog_ms;
  sum.busy_in_backlog_ms += s.busy_in_backlog_ms;
  sum.reference_runs += s.reference_runs;
  sum.reference_cache_hits += s.reference_cache_hits;
  sum.reference_stale += s.reference_stale;
  sum.reference_retries += s.reference_retries;
}

namespace {

verifier_actor::behavior_type router_behavior(router_pointer self, std::vector<verifier_actor> pools,
                                              std::shared_ptr<const kforge::task_map> tasks) {
  self->state.pools = std::move(pools);
  self->state.tasks = std::move(tasks);
  for (const auto& [id, task] : *self->state.tasks)
    self->state.assigned[id] = pool_of(*self->state.tasks, id, self->state.pools.size());
  self->state.next = self->state.assigned.size();
  auto target = [self](const std::string& task_id) {
    auto& s = self->state;
    auto it = s.assigned.find(task_id);
    return s.pools[it != s.assigned.end() ? it->second : 0];
  };
  return {
      [self, target](verify_atom, verify_request& req) -> caf::result<verification> {
        auto promise = self->make_response_promise<verification>();
        self->request(target(req.task_id), caf::infinite, verify_atom_v, std::move(req))
            .then([promise](verification& v) mutable { promise.deliver(std::move(v)); },
                  [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
      [self, target](reference_atom, const std::string& task_id) -> caf::result<kforge::timing_stats> {
        auto promise = self->make_response_promise<kforge::timing_stats>();
        self->request(target(task_id), caf::infinite, reference_atom_v, task_id)
            .then([promise](kforge::timing_stats& t) mutable { promise.deliver(std::move(t)); },
                  [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
      [self, target](remeasure_atom, verify_request& req, int32_t rounds) -> caf::result<interleaved_timing> {
        auto promise = self->make_response_promise<interleaved_timing>();
        auto pool = target(req.task_id);
        self->request(pool, caf::infinite, remeasure_atom_v, std::move(req), rounds)
            .then([promise](interleaved_timing& t) mutable { promise.deliver(std::move(t)); },
                  [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
        return promise;
      },
      [self](stats_atom) -> caf::result<verifier_stats> {
        auto promise = self->make_response_promise<verifier_stats>();
        auto sum = std::make_shared<verifier_stats>();
        auto answered = std::make_shared<std::size_t>(0);
        const auto n = self->state.pools.size();
        for (const auto& pool : self->state.pools) {
          self->request(pool, caf::infinite, stats_atom_v)
              .then(
                  [promise, sum, answered, n](verifier_stats& s) mutable {
                    add_stats(*sum, s);
                    if (++*answered == n)
                      promise.deliver(*sum);
                  },
                  [promise, sum, answered, n](caf::error&) mutable {
                    if (++*answered == n)
                      promise.deliver(*sum);
                  });
        }
        return promise;
      },
      [self](drain_atom) {
        for (const auto& pool : self->state.pools)
          self->send(pool, drain_atom_v);
        self->quit();
      },
      [self, target](stop_atom, const std::string& task_id, const std::set<std::string>& hashes) {
        self->send(target(task_id), stop_atom_v, task_id, hashes);
      },
      [self, target](retry_atom, const std::string& task_id) {
        self->send(target(task_id), retry_atom_v, task_id);
      },
      [self](load_atom, std::shared_ptr<const kforge::task_map>& catalog) {
        auto& s = self->state;
        for (const auto& [id, task] : *catalog)
          if (s.assigned.emplace(id, s.next % s.pools.size()).second)
            ++s.next;
        s.tasks = catalog;
        for (const auto& pool : s.pools)
          self->send(pool, load_atom_v, catalog);
      },
  };
}

}  // namespace

std::size_t pool_of(const kforge::task_map& tasks, const std::string& task_id, std::size_t pools) {
  if (pools <= 1)
    return 0;
  auto it = tasks.find(task_id);
  if (it == tasks.end())
    return 0;
  return static_cast<std::size_t>(std::distance(tasks.begin(), it)) % pools;
}

verifier_actor spawn_verifier_router(caf::actor_system& sys, std::vector<verifier_actor> pools,
                                     std::shared_ptr<const kforge::task_map> tasks) {
  return sys.spawn(router_behavior, std::move(pools), std::move(tasks));
}

}  // namespace kforge::actors
