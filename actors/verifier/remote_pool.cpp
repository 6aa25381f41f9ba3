#include "actors/verifier/remote_pool.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <set>
#include <utility>

namespace kforge::actors {

namespace {

struct front_state {
  verifier_actor pool;
  std::shared_ptr<const kforge::task_map> catalog;
  std::shared_ptr<last_call_clock> last_call;
  log::logger log{"kforge.worker"};
  static inline const char* name = "kforge.remote_pool";
};

using front_pointer = remote_pool_actor::stateful_pointer<front_state>;

// Adds the definitions a job brings to the catalog and tells the pool (before the job, which
// follows on the same local channel). False if the job's task is still unknown.
bool learn(front_pointer self, std::vector<kforge::task_def>& defs, const std::string& task_id) {
  auto& s = self->state;
  if (!defs.empty()) {
    auto grown = std::make_shared<kforge::task_map>(*s.catalog);
    bool changed = false;
    for (auto& t : defs) {
      auto it = grown->find(t.id);
      if (it != grown->end() && it->second.definition_hash == t.definition_hash)
        continue;
      s.log.info("task received", {{"task", t.id}, {"family", t.family}});
      (*grown)[t.id] = std::move(t);
      changed = true;
    }
    if (changed) {
      s.catalog = grown;
      self->send(s.pool, load_atom_v, s.catalog);
    }
  }
  return s.catalog->count(task_id) > 0;
}

caf::error unknown_task(const std::string& task_id) {
  return make_error(errc::bad_request, "remote pool: task " + task_id + " was never sent to this worker");
}

// The coordinator called: stamps the worker's clock.
void called(front_pointer self) {
  if (self->state.last_call)
    self->state.last_call->store(steady_ms(), std::memory_order_relaxed);
}

remote_pool_actor::behavior_type front_behavior(front_pointer self, verifier_actor pool,
                                                std::shared_ptr<const kforge::task_map> known,
                                                std::shared_ptr<last_call_clock> last_call) {
  self->state.pool = std::move(pool);
  self->state.catalog = std::move(known);
  self->state.last_call = std::move(last_call);
  return {
      [self](verify_atom, remote_job& job) -> caf::result<verification> {
        called(self);
        if (!learn(self, job.tasks, job.request.task_id))
          return unknown_task(job.request.task_id);
        self->state.log.info("verify job",
                             {{"task", job.request.task_id}, {"cand", short_id(job.request.cand_hash)}});
        return self->delegate(self->state.pool, verify_atom_v, std::move(job.request));
      },
      [self](reference_atom, remote_job& job) -> caf::result<kforge::timing_stats> {
        called(self);
        if (!learn(self, job.tasks, job.request.task_id))
          return unknown_task(job.request.task_id);
        return self->delegate(self->state.pool, reference_atom_v, job.request.task_id);
      },
      [self](remeasure_atom, remote_job& job, int32_t rounds) -> caf::result<interleaved_timing> {
        called(self);
        if (!learn(self, job.tasks, job.request.task_id))
          return unknown_task(job.request.task_id);
        return self->delegate(self->state.pool, remeasure_atom_v, std::move(job.request), rounds);
      },
      [self](stats_atom) -> caf::result<verifier_stats> {
        called(self);
        return self->delegate(self->state.pool, stats_atom_v);
      },
      [self](stop_atom, const std::string& task_id, const std::string& hash) {
        called(self);
        self->send(self->state.pool, stop_atom_v, task_id, std::set<std::string>{hash});
      },
  };
}

}  // namespace

int64_t steady_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

remote_pool_actor spawn_remote_pool(caf::actor_system& sys, verifier_actor pool,
                                    std::shared_ptr<const kforge::task_map> known,
                                    std::shared_ptr<last_call_clock> last_call) {
  return sys.spawn(front_behavior, std::move(pool), std::move(known), std::move(last_call));
}

}  // namespace kforge::actors
