#include "actors/verifier/verifier_state.hpp"

#include "memory/records.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/wall_clock.hpp"

#include <algorithm>

namespace kforge::actors::detail {

namespace {

// `task_id`'s reference is ready with `timing`: its waiting requests are answered and its
// candidates may compile.
void on_ready(verifier_pointer self, const std::string& task_id, const kforge::timing_stats& timing,
              bool restored) {
  auto& st = self->state;
  auto& p = st.prep[task_id];
  (void)st.schedule.prepared(task_id, true);
  p.timing = timing;
  p.attempts = 0;
  p.built = {};
  st.log.info(restored ? "reference from the cache" : "reference ready",
              {{"task", task_id}, {"dev", st.stats.device}, {"median_ns", p.timing.median_ns}});
  for (auto& w : p.waiting)
    w.deliver(p.timing);
  p.waiting.clear();
}

// Answers the waiting requests and the `cancelled` jobs and measurements of `task_id` with `err`.
void answer_failure(verifier_pointer self, const std::string& task_id, const std::vector<job_id>& cancelled,
                    const caf::error& err) {
  auto& st = self->state;
  auto& p = st.prep[task_id];
  for (auto& w : p.waiting)
    w.deliver(err);
  p.waiting.clear();
  // Candidates of a task without a reference cannot be judged.
  for (auto id : cancelled) {
    if (auto j = job_of(st, id))
      finish_job(self, j, err);
    if (auto m = st.measures.find(id); m != st.measures.end()) {
      m->second.promise.deliver(err);
      st.measures.erase(m);
    }
  }
}

// Gives up `task_id`'s preparation for now (transient failures, or a drain while it waited to
// retry): the task is as if never prepared, so a later request, or a resume, starts over.
void give_up_for_now(verifier_pointer self, const std::string& task_id, const caf::error& err) {
  auto& st = self->state;
  auto& p = st.prep[task_id];
  p.attempts = 0;
  p.retry_pending = false;
  if (p.built.program.ok)
    st.backend->discard(p.built.program);
  p.built = {};
  auto cancelled = st.schedule.give_up(task_id);
  answer_failure(self, task_id, cancelled, err);
}

// A stage of `task_id`'s preparation failed with `err`: retried after a backoff while the
// failure is transient and tries are left, else given up for now (transient) or for good.
void on_preparation_failed(verifier_pointer self, const std::string& task_id, const caf::error& err) {
  auto& st = self->state;
  auto& p = st.prep[task_id];
  if (p.built.program.ok)
    st.backend->discard(p.built.program);
  p.built = {};
  if (is_transient(code_of(err))) {
    p.attempts += 1;
    if (p.attempts < std::max(1, st.cfg.reference_attempts) && !st.schedule.is_draining()) {
      auto wait = st.cfg.reference_backoff * (int64_t{1} << std::min(p.attempts - 1, 16));
      st.log.warning(
          "reference preparation failed; trying again",
          {{"task", task_id}, {"attempt", p.attempts}, {"wait_ms", wait.count()}, {"error", describe(err)}});
      st.stats.reference_retries += 1;
      st.schedule.retry_later(task_id);
      p.retry_pending = true;
      self->delayed_send(self, wait, retry_atom_v, task_id);
      return;
    }
    st.log.error("reference preparation failed; a later request or a resume tries again",
                 {{"task", task_id}, {"attempts", p.attempts}, {"error", describe(err)}});
    give_up_for_now(self, task_id, err);
    return;
  }
  p.failure = err;
  st.log.error("reference failed", {{"task", task_id}, {"error", describe(p.failure)}});
  auto cancelled = st.schedule.prepared(task_id, false);
  answer_failure(self, task_id, cancelled, p.failure);
}

// Caches a reference that was just prepared, through the sink (the curator).
void cache_reference(verifier_pointer self, const std::string& task_id, hardware::reference_run& ran) {
  auto& st = self->state;
  if (!st.cfg.reference_cache || !st.sink || ran.cache.empty())
    return;
  if (static_cast<int64_t>(ran.cache.size()) > st.cfg.reference_cache_max_bytes) {
    st.log.info("reference too large to cache", {{"task", task_id}, {"bytes", ran.cache.size()}});
    return;
  }
  memory::reference_record rec;
  rec.task_id = task_id;
  rec.device = st.backend->device();
  rec.signature = st.reference_signature;
  rec.reference_hash = st.tasks->at(task_id).reference_hash;
  rec.timing = ran.timing;
  rec.created_ms = wall_ms();
  rec.data = std::move(ran.cache);
  self->request(st.sink, caf::infinite, record_atom_v, std::move(rec))
      .then([](int64_t) {},
            [self, task_id](caf::error& err) {
              self->state.log.warning("cannot cache the reference",
                                      {{"task", task_id}, {"error", describe(err)}});
            });
}

}  // namespace

void start_reference_build(verifier_pointer self, const compile_pick& pick) {
  auto& st = self->state;
  auto w = pick.slot;
  // The slot is the reference's from the pick on (verify_schedule::pick_compiles).
  auto task_id = pick.task_id;
  auto built = [=](caf::expected<hardware::reference_build> result, const std::string& cache) {
    auto& s = self->state;
    account(s);
    s.schedule.compile_done(w);
    if (cache == "stale") {
      s.stats.reference_stale += 1;
      s.log.info("cached reference is stale (the task's definition changed); preparing it again",
                 {{"task", task_id}});
    } else if (cache.rfind("unusable", 0) == 0) {
      s.log.warning("cached reference not used; preparing it again", {{"task", task_id}, {"why", cache}});
    }
    if (!result) {
      on_preparation_failed(self, task_id, result.error());
    } else if (result->restored) {
      if (cache == "hit")
        s.stats.reference_cache_hits += 1;
      on_ready(self, task_id, result->timing, cache == "hit");
    } else {
      s.prep[task_id].built = std::move(*result);
      s.schedule.reference_built(task_id, false);
    }
    pump(self);
  };
  bool use_cache = st.cfg.reference_cache && st.store != nullptr;
  self->request(st.compilers[w], caf::infinite, built_atom_v, task_id, use_cache)
      .then([=](hardware::reference_build& b, std::string& cache) { built(std::move(b), cache); },
            [=](caf::error& err) { built(err, ""); });
}

void start_reference_run(verifier_pointer self, const run_pick& pick, clock_type::time_point started) {
  auto& st = self->state;
  auto task_id = pick.task_id;
  auto prepared = [=](caf::expected<hardware::reference_run> result) {
    auto& s = self->state;
    account(s);
    s.schedule.run_done();
    s.stats.run_busy_ms += ms_since(started);
    s.prep[task_id].built = {};  // the run removed the program
    if (result) {
      s.stats.reference_runs += 1;
      on_ready(self, task_id, result->timing, false);
      cache_reference(self, task_id, *result);
    } else {
      on_preparation_failed(self, task_id, result.error());
    }
    pump(self);
  };
  self->request(st.runner, caf::infinite, reference_atom_v, task_id, st.prep[task_id].built)
      .then([=](hardware::reference_run& r) { prepared(std::move(r)); },
            [=](caf::error& err) { prepared(err); });
}

void retry_preparation(verifier_pointer self, const std::string& task_id) {
  auto& s = self->state;
  auto it = s.prep.find(task_id);
  if (it == s.prep.end() || !it->second.retry_pending)
    return;  // given up meanwhile (a drain)
  it->second.retry_pending = false;
  account(s);
  if (s.schedule.retry_now(task_id))
    s.log.info("preparing the reference again", {{"task", task_id}, {"attempt", it->second.attempts + 1}});
  pump(self);
}

void give_up_retries(verifier_pointer self) {
  auto& s = self->state;
  std::vector<std::string> retrying;
  for (const auto& [id, p] : s.prep)
    if (p.retry_pending)
      retrying.push_back(id);
  for (const auto& id : retrying)
    give_up_for_now(self, id, make_error(errc::cancelled, "the verifier is draining"));
}

void give_up_queued_preparations(verifier_pointer self) {
  for (const auto& id : self->state.schedule.queued_preparations())
    give_up_for_now(self, id, make_error(errc::cancelled, "the verifier is draining"));
}

}  // namespace kforge::actors::detail
