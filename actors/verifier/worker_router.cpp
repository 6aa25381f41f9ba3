#include "actors/verifier/worker_router.hpp"

#include "actors/verifier/verifier_router.hpp"
#include "actors/verifier/work_dealer.hpp"
#include "runtime/base/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <set>
#include <utility>

namespace kforge::actors {

namespace {

enum class job_kind { verify, reference, remeasure };

struct job_payload {
  job_kind kind = job_kind::verify;
  verify_request request;
  int32_t rounds = 0;
  caf::response_promise promise;
  bool stopped = false;  ///< its task stopped it: a cancelled answer is the answer, not a lost pool
};

struct pool_info {
  remote_pool_actor handle;
  std::string worker;
  std::string device;
};

struct worker_router_state {
  worker_router_config cfg;
  std::shared_ptr<const kforge::task_map> tasks;
  work_dealer dealer;
  std::map<int64_t, pool_info> pools;
  std::map<int64_t, job_payload> jobs;
  verifier_actor local;         ///< the constructor's own pool, drained with the router
  std::set<int64_t> local_ids;  ///< pools of this host: no heartbeat
  int64_t late_dropped = 0;
  int64_t delivered = 0;
  log::logger log{"kforge.workers"};
  static inline const char* name = "kforge.worker_router";
};

using worker_router_pointer = worker_router_actor::stateful_pointer<worker_router_state>;

void dispatch(worker_router_pointer self);

// Takes `pool` out of the deal; its in-flight jobs go back to the queue and are dealt again.
void lose(worker_router_pointer self, int64_t pool, const std::string& why) {
  auto& s = self->state;
  auto it = s.pools.find(pool);
  if (it == s.pools.end())
    return;
  auto finished = s.dealer.finished_by(pool);
  auto requeued = s.dealer.lose(pool);
  s.log.warning("worker lost", {{"worker", it->second.worker},
                                {"dev", it->second.device},
                                {"pool", std::to_string(pool)},
                                {"why", why},
                                {"finished", std::to_string(finished)},
                                {"requeued", std::to_string(requeued.size())}});
  s.pools.erase(it);
  for (auto job : requeued) {  // a stopped task's candidate is not dealt again: it is cancelled
    auto p = s.jobs.find(job);
    if (p == s.jobs.end() || !p->second.stopped)
      continue;
    p->second.promise.deliver(make_error(errc::cancelled, "the task stops"));
    s.dealer.cancel(job);
    s.jobs.erase(p);
  }
  dispatch(self);
}

// A pool answered `attempt`: delivered if it is still the job's current attempt, else dropped.
template <class T>
void answered(worker_router_pointer self, int64_t attempt, T&& value) {
  auto& s = self->state;
  auto job = s.dealer.job_of(attempt);
  if (!job || !s.dealer.finish(attempt)) {
    ++s.late_dropped;
    s.log.info("late answer dropped", {{"attempt", std::to_string(attempt)}});
    return;
  }
  auto p = s.jobs.find(*job);
  if (p != s.jobs.end()) {
    p->second.promise.deliver(std::forward<T>(value));
    s.jobs.erase(p);
    ++s.delivered;
  }
  dispatch(self);
}

// A request to `pool` failed: kforge's own errors are the answer; CAF's (the connection, the
// actor gone) and errc::cancelled (the worker stops) mean the pool is lost and the job is dealt
// again.
void failed(worker_router_pointer self, int64_t attempt, int64_t pool, caf::error& err) {
  auto code = code_of(err);
  auto job = self->state.dealer.job_of(attempt);
  auto p = job ? self->state.jobs.find(*job) : self->state.jobs.end();
  bool stopped = p != self->state.jobs.end() && p->second.stopped;
  if (code != errc::none && (code != errc::cancelled || stopped)) {
    answered(self, attempt, std::move(err));
    return;
  }
  lose(self, pool, "request failed: " + describe(err));
}

template <class T>
void send_job(worker_router_pointer self, const dealt_job& d, job_payload& p, remote_job job) {
  auto& pool = self->state.pools.at(d.pool).handle;
  auto attempt = d.attempt;
  auto pool_id = d.pool;
  auto ok = [self, attempt](T& value) { answered(self, attempt, std::move(value)); };
  auto bad = [self, attempt, pool_id](caf::error& err) { failed(self, attempt, pool_id, err); };
  if constexpr (std::is_same_v<T, verification>)
    self->request(pool, caf::infinite, verify_atom_v, std::move(job)).then(ok, bad);
  else if constexpr (std::is_same_v<T, kforge::timing_stats>)
    self->request(pool, caf::infinite, reference_atom_v, std::move(job)).then(ok, bad);
  else
    self->request(pool, caf::infinite, remeasure_atom_v, std::move(job), p.rounds).then(ok, bad);
}

void dispatch(worker_router_pointer self) {
  auto& s = self->state;
  for (const auto& d : s.dealer.deal()) {
    auto& p = s.jobs.at(d.job);
    remote_job job;
    job.request = p.request;
    if (d.first_of_task) {
      auto t = s.tasks->find(p.request.task_id);
      if (t != s.tasks->end())
        job.tasks.push_back(t->second);
    }
    switch (p.kind) {
      case job_kind::verify:
        send_job<verification>(self, d, p, std::move(job));
        break;
      case job_kind::reference:
        send_job<kforge::timing_stats>(self, d, p, std::move(job));
        break;
      case job_kind::remeasure:
        send_job<interleaved_timing>(self, d, p, std::move(job));
        break;
    }
  }
}

// Queues one job; an unknown task is refused at once (no pool could be sent its definition).
void enqueue(worker_router_pointer self, job_kind kind, verify_request req, int32_t rounds,
             caf::response_promise promise) {
  auto& s = self->state;
  auto t = s.tasks->find(req.task_id);
  if (t == s.tasks->end()) {
    promise.deliver(make_error(errc::bad_request, "worker router: unknown task " + req.task_id));
    return;
  }
  auto id = s.dealer.submit(req.task_id, t->second.backend);
  s.jobs.emplace(id, job_payload{kind, std::move(req), rounds, std::move(promise)});
  dispatch(self);
  if (s.pools.empty() && s.dealer.queued() == 1)
    s.log.info("waiting for a worker to join", {});
}

// `local`: a pool of this host, which gets no heartbeat.
int64_t join(worker_router_pointer self, remote_pool_actor pool, const std::string& worker,
             const std::string& device, int32_t slots, bool local) {
  auto& s = self->state;
  auto id = s.dealer.add_pool(device, slots);
  if (local)
    s.local_ids.insert(id);
  self->monitor(pool);
  s.pools[id] = pool_info{pool, worker, device};
  s.log.info("worker joined", {{"worker", worker},
                               {"dev", device},
                               {"slots", std::to_string(slots)},
                               {"pool", std::to_string(id)},
                               {"node", caf::to_string(pool.node())},
                               {"queued", std::to_string(s.dealer.queued())}});
  dispatch(self);
  return id;
}

worker_router_actor::behavior_type worker_router_behavior(worker_router_pointer self,
                                                          std::shared_ptr<const kforge::task_map> tasks,
                                                          worker_router_config cfg, verifier_actor local,
                                                          std::string local_device, int32_t local_slots) {
  auto& st = self->state;
  st.cfg = cfg;
  st.tasks = std::move(tasks);
  if (local) {
    st.local = local;
    auto front = spawn_remote_pool(self->home_system(), local, st.tasks);
    join(self, front, "local", local_device, local_slots, true);
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    for (const auto& [id, p] : self->state.pools)
      if (p.handle.address() == dm.source) {
        lose(self, id, "down: " + describe(dm.reason));
        return;
      }
  });
  self->delayed_send(self, cfg.heartbeat, beat_atom_v);
  return {
      [self](verify_atom, verify_request& req) -> caf::result<verification> {
        auto promise = self->make_response_promise();
        enqueue(self, job_kind::verify, std::move(req), 0, promise);
        return promise;
      },
      [self](reference_atom, const std::string& task_id) -> caf::result<kforge::timing_stats> {
        auto promise = self->make_response_promise();
        verify_request req;
        req.task_id = task_id;
        enqueue(self, job_kind::reference, std::move(req), 0, promise);
        return promise;
      },
      [self](remeasure_atom, verify_request& req, int32_t rounds) -> caf::result<interleaved_timing> {
        auto promise = self->make_response_promise();
        enqueue(self, job_kind::remeasure, std::move(req), rounds, promise);
        return promise;
      },
      [self](stats_atom) -> caf::result<verifier_stats> {
        auto& s = self->state;
        auto promise = self->make_response_promise<verifier_stats>();
        auto sum = std::make_shared<verifier_stats>();
        sum->queued = static_cast<int32_t>(s.dealer.queued());
        if (s.pools.empty()) {
          promise.deliver(*sum);
          return promise;
        }
        auto answered_n = std::make_shared<std::size_t>(0);
        const auto n = s.pools.size();
        for (const auto& [id, p] : s.pools) {
          auto done = [promise, sum, answered_n, n]() mutable {
            if (++*answered_n == n)
              promise.deliver(*sum);
          };
          self->request(p.handle, s.cfg.deadline, stats_atom_v)
              .then(
                  [sum, done](verifier_stats& v) mutable {
                    add_stats(*sum, v);
                    done();
                  },
                  [done](caf::error&) mutable { done(); });
        }
        return promise;
      },
      [self](drain_atom) {
        auto& s = self->state;
        for (auto& [id, p] : s.jobs)
          p.promise.deliver(make_error(errc::cancelled, "the campaign stops"));
        s.log.info("workers done", {{"delivered", std::to_string(s.delivered)},
                                    {"requeued", std::to_string(s.dealer.requeued())},
                                    {"late_dropped", std::to_string(s.late_dropped)},
                                    {"pools", std::to_string(s.pools.size())}});
        for (const auto& [id, p] : s.pools)
          s.log.info("worker summary", {{"worker", p.worker},
                                        {"dev", p.device},
                                        {"pool", std::to_string(id)},
                                        {"finished", std::to_string(s.dealer.finished_by(id))}});
        s.jobs.clear();
        if (s.local)
          self->send(s.local, drain_atom_v);
        self->quit();
      },
      [self](stop_atom, const std::string& task_id, const std::set<std::string>& hashes) {
        // Queued candidates of the task are answered here; those in flight are stopped by their pool.
        auto& s = self->state;
        for (auto it = s.jobs.begin(); it != s.jobs.end();) {
          auto& p = it->second;
          if (p.kind != job_kind::verify || p.request.task_id != task_id ||
              hashes.count(p.request.cand_hash) == 0) {
            ++it;
            continue;
          }
          auto pool = s.dealer.pool_of_job(it->first);
          if (pool) {
            p.stopped = true;
            if (auto h = s.pools.find(*pool); h != s.pools.end())
              self->send(h->second.handle, stop_atom_v, task_id, p.request.cand_hash);
            ++it;
            continue;
          }
          p.promise.deliver(make_error(errc::cancelled, "the task stops"));
          s.dealer.cancel(it->first);
          it = s.jobs.erase(it);
        }
      },
      [](retry_atom, const std::string&) {
        // A pool retries its own reference preparations; nothing passes through the router.
      },
      [self](load_atom, std::shared_ptr<const kforge::task_map>& catalog) {
        self->state.tasks = std::move(catalog);
        if (self->state.local)
          self->send(self->state.local, load_atom_v, self->state.tasks);
      },
      [self](join_atom, worker_offer& offer) -> int64_t {
        auto pool = caf::actor_cast<remote_pool_actor>(offer.pool);
        return join(self, pool, offer.worker, offer.device, offer.slots, false);
      },
      [self](join_atom, local_atom, worker_offer& offer) -> int64_t {
        auto pool = caf::actor_cast<remote_pool_actor>(offer.pool);
        return join(self, pool, offer.worker, offer.device, offer.slots, true);
      },
      [self](beat_atom) {
        auto& s = self->state;
        for (const auto& [id, p] : s.pools) {
          if (s.local_ids.count(id) > 0)
            continue;
          auto pool_id = id;
          self->request(p.handle, s.cfg.deadline, stats_atom_v)
              .then([](verifier_stats&) {},
                    [self, pool_id](caf::error& err) {
                      lose(self, pool_id, "no heartbeat: " + describe(err));
                    });
        }
        self->delayed_send(self, s.cfg.heartbeat, beat_atom_v);
      },
  };
}

}  // namespace

worker_router_actor spawn_worker_router(caf::actor_system& sys, std::shared_ptr<const kforge::task_map> tasks,
                                        worker_router_config cfg, verifier_actor local,
                                        std::string local_device, int32_t local_slots) {
  return sys.spawn(worker_router_behavior, std::move(tasks), cfg, std::move(local), std::move(local_device),
                   local_slots);
}

}  // namespace kforge::actors
