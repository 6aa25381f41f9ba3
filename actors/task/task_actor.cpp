#include "actors/task/task_actor.hpp"

#include "actors/task/parent_choice.hpp"
#include "actors/task/retry_policy.hpp"
#include "actors/task/task_phase.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/rng.hpp"
#include "runtime/base/scoring.hpp"
#include "runtime/base/wall_clock.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <set>

namespace kforge::actors {

namespace {

using settings = std::vector<kforge::knob_setting>;

// What the actor does, beside the search phase in its record (task_phase.hpp): searching,
// stopping (in-flight work commits), measuring (its best once more as it ends), finished.
enum class activity { searching, stopping, measuring, finished };

struct task_state {
  std::shared_ptr<const kforge::task_map> tasks;
  const kforge::task_def* task = nullptr;  // null if the catalog lacks the task: it ends at start
  std::shared_ptr<const memory::shared_tail> template_tail;  // stored once for every rendering
  task_config cfg;
  task_peers peers;
  memory::task_record rec;
  committed_history history;  // committed candidates, sources left out but the best's
  std::set<std::string> hashes;
  std::set<std::string> verifying;  // candidates sent to the verifier and not answered yet
  std::vector<uint64_t> tried;      // settings_fingerprint() of every evaluated setting, sorted
  std::deque<std::string> feedback;
  bool final_at_stop = false;  // the stop ends the campaign: the best is re-measured (stop_atom)
  int32_t in_flight = 0;       // verifications and commits of the current step
  std::vector<std::function<void()>> refused;             // verifications to resend after errc::queue_full
  queue_backoff backoff{std::chrono::milliseconds{200}};  // waits after errc::queue_full
  reask_policy reask{0, std::chrono::milliseconds{200}};  // re-asks after errc::llm_failed
  int32_t duplicate_steps = 0;                            // consecutive steps that proposed nothing new
  archive arch{archive_config{}};  // best and diverse feasible candidates; parents by Q2
  technique_catalogue catalogue;   // the backend's techniques and those learned since
  bool has_catalogue = false;
  activity now = activity::searching;
  int64_t waiting_since_ms = 0;  // wall ms since the model is unreachable; 0 = it answers
  std::string last_error;        // of the last failed call while waiting
  bool unreachable = false;      // the model stayed unreachable past the horizon
  log::logger log{"kforge.task"};
  static inline const char* name = "kforge.task";
};

using task_pointer = task_actor::stateful_pointer<task_state>;

uint64_t step_seed(const task_state& st) {
  // splitmix64 over (campaign seed, task, step): a resumed task replays the same choices.
  return mix64(mix64(st.cfg.seed, st.rec.task_id) ^ static_cast<uint64_t>(st.rec.step));
}

task_progress current_progress(const task_state& st) {
  auto p = progress_of(st.rec, st.cfg.steps.evaluations);
  p.waiting_since_ms = st.waiting_since_ms;
  p.last_error = st.last_error;
  p.unreachable = st.unreachable;
  return p;
}

// The actor clock in ms: what the outage horizon is measured on (the fixture clock in tests).
std::chrono::milliseconds clock_now(task_pointer self) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now().time_since_epoch());
}

bool is_stopping(const task_state& st) {
  return st.now != activity::searching;
}

// No new step from here on; what is in flight still commits. With `err`, kforge's own failure
// that may pass later (leaves_task_resumable): the task stops undone, and a resume goes on.
void stop_searching(task_state& st, const caf::error& err = caf::error{}) {
  if (err)
    st.last_error = describe(err);
  if (st.now == activity::searching)
    st.now = activity::stopping;
}

void step(task_pointer self);

// True if the task ends with a best that was never re-measured against its reference.
bool needs_final(const task_state& st) {
  return st.cfg.final_rounds > 0 && !st.rec.best_hash.empty() && st.rec.final_hash != st.rec.best_hash;
}

void quit_task(task_pointer self) {
  self->state.now = activity::finished;
  self->send(self->state.peers.owner, progress_atom_v, current_progress(self->state));
  self->quit();
}

// Records the final measurement of `hash` (figures, or why there are none), then quits.
void record_final(task_pointer self, const std::string& hash, const interleaved_timing& t) {
  auto& st = self->state;
  apply_final(st.rec, hash, t, wall_ms());
  st.log.info("best re-measured", {{"task", st.rec.task_id}, {"rounds", t.rounds}, {"detail", t.detail}});
  self->request(st.peers.curator, caf::infinite, record_atom_v, st.rec)
      .then([self](int64_t) { quit_task(self); },
            [self](caf::error& err) {
              self->state.log.error("cannot commit the final measurement",
                                    {{"task", self->state.rec.task_id}, {"error", describe(err)}});
              quit_task(self);
            });
}

// The best and its reference, alternately in fresh processes, once per best (resume skips it).
void measure_final(task_pointer self, const memory::candidate_record& best) {
  auto hash = best.hash;
  auto& st = self->state;
  st.now = activity::measuring;
  self->request(st.peers.verifier, caf::infinite, remeasure_atom_v,
                verify_request{st.rec.task_id, best.hash, best.source}, st.cfg.final_rounds)
      .then([self, hash](interleaved_timing& t) { record_final(self, hash, t); },
            [self, hash](caf::error& err) {
              // A draining pool may measure it on resume; any other failure is the answer.
              if (code_of(err) == errc::cancelled)
                quit_task(self);
              else
                record_final(self, hash, interleaved_timing{0, 0, 0, describe(err)});
            });
}

void finish(task_pointer self) {
  auto& st = self->state;
  if (st.now == activity::finished || st.now == activity::measuring)
    return;
  // Re-measured when the task ends, or when the campaign ends with it; an interrupted task is not.
  bool ends = is_done(st.rec) || st.final_at_stop;
  const auto* best = ends && needs_final(st) ? st.history.best(st.rec.best_hash) : nullptr;
  best != nullptr ? measure_final(self, *best) : quit_task(self);
}

// Persists a record-only change (phase/stop reason), then finishes.
void end_task(task_pointer self, const std::string& reason) {
  auto& st = self->state;
  if (phase_of(st.rec) != task_phase::done) {
    st.rec.phase = to_string(task_phase::done);
    st.rec.stop_reason = reason;
  }
  st.rec.updated_ms = wall_ms();
  ++st.in_flight;
  self->request(st.peers.curator, caf::infinite, record_atom_v, st.rec)
      .then(
          [self](int64_t) {
            --self->state.in_flight;
            finish(self);
          },
          [self](caf::error& err) {
            --self->state.in_flight;
            self->state.log.error("cannot commit task end",
                                  {{"task", self->state.rec.task_id}, {"error", describe(err)}});
            finish(self);
          });
}

void on_committed(task_pointer self) {
  auto& st = self->state;
  --st.in_flight;
  self->send(st.peers.owner, progress_atom_v, current_progress(st));
  if (st.in_flight > 0)
    return;
  if (is_stopping(st) || is_done(st.rec)) {
    finish(self);
    return;
  }
  step(self);
}

void on_verdict(task_pointer self, const proposal& p, const std::string& hash, const std::string& stage,
                const std::vector<parent_info>& parent, const std::string& policy, const std::string& model,
                verification result) {
  auto& v = result.verdict;
  auto& st = self->state;
  memory::candidate_record c;
  c.hash = hash;
  c.campaign = st.cfg.campaign;
  c.task_id = st.rec.task_id;
  c.seq = st.rec.evaluations;
  c.source = p.source;
  c.stage = stage;
  c.policy = policy;
  c.model = model;
  c.context_ids = p.context_ids;
  c.knobs = p.knobs;
  c.optimization = p.optimization;
  c.technique = p.technique;
  std::vector<technique> fresh_techniques;
  if (st.has_catalogue && !p.technique.empty()) {
    // Catalogue ids for what the model named; names the catalogue lacks join it.
    const auto& state = parent.empty() ? std::string{} : parent.front().perf_state;
    auto ids = resolve_techniques(st.catalogue, p.technique, p.optimization, st.task->family,
                                  bound_of_state(state), fresh_techniques);
    c.technique.clear();
    for (const auto& id : ids)
      c.technique += (c.technique.empty() ? "" : ", ") + id;
  }
  c.call_id = p.call_id;
  c.device = v.device.empty() ? st.cfg.device : v.device;
  c.created_ms = wall_ms();
  if (!parent.empty()) {
    c.parents = {parent.front().hash};
    if (v.is_timed())
      c.speedup_vs_parent =
          kforge::gain_beyond_noise(kforge::latency_of(parent.front().latency_ns, parent.front().ci_half_ns),
                                    v.timing, st.cfg.steps.noise);
  }
  if (v.is_timed())
    c.perf_state = perf_state(*st.task, v.timing.median_ns, st.cfg.roofline);
  c.verdict = std::move(v);
  apply_verdict(st.rec, c, st.cfg.steps);
  if (c.speedup_vs_ref > st.cfg.steps.flag_speedup)
    st.log.info("speedup above the review threshold",
                {{"task", c.task_id}, {"cand", short_id(c.hash)}, {"speedup", c.speedup_vs_ref}});
  st.rec.updated_ms = c.created_ms;
  st.feedback.push_back(feedback_line(c, st.cfg.feedback_chars));
  while (st.feedback.size() > static_cast<size_t>(std::max(0, st.cfg.feedback_items)))
    st.feedback.pop_front();
  log_verified(st.log, c, result.cached);
  // Tell an LLM policy how its kernel fared: its endpoint bandit learns from it.
  if (policy == "openai" && c.verdict.failed_gate != kforge::gate_parse)
    self->send(st.peers.llm, reward_atom_v, sha256_hex(c.source), c.verdict.feasible);
  st.arch.add(c);
  if (!c.parents.empty())
    st.arch.reward_parent(c.parents.front(), c.reward);
  st.history.add(c, st.rec.best_hash);
  auto parent_record = st.history.parent_of(c);
  experience e{std::move(c),
               st.rec,
               result.cache_key,
               roofline_of(*st.task, st.cfg.roofline).floor_ns,
               {},
               std::move(parent_record),
               st.template_tail};
  for (auto& t : fresh_techniques) {
    e.new_techniques.push_back(learned_technique_item(t, st.catalogue.backend, st.task->family,
                                                      st.rec.task_id, e.candidate.created_ms));
    st.catalogue.techniques.push_back(std::move(t));
  }
  self->request(st.peers.curator, caf::infinite, record_atom_v, std::move(e))
      .then([self](int64_t) { on_committed(self); },
            [self](caf::error& err) {
              // The event is lost to the store; the task stops rather than diverge from it.
              self->state.log.error("commit failed; stopping task",
                                    {{"task", self->state.rec.task_id}, {"error", describe(err)}});
              stop_searching(self->state);
              on_committed(self);
            });
}

// One candidate on its way through the verifier; shared by the reply handlers (and a retry).
void verify_one(task_pointer self, std::shared_ptr<const candidate_job> job) {
  auto& st = self->state;
  st.verifying.insert(job->hash);
  self->request(st.peers.verifier, caf::infinite, verify_atom_v,
                verify_request{st.rec.task_id, job->hash, job->p.source})
      .then(
          [=](verification& v) {
            self->state.verifying.erase(job->hash);
            self->state.backoff.reset();
            on_verdict(self, job->p, job->hash, job->stage, job->parent, job->policy, job->model,
                       std::move(v));
          },
          [=](caf::error& err) {
            auto& s = self->state;
            s.verifying.erase(job->hash);
            if (code_of(err) == errc::cancelled && is_stopping(s)) {
              // Withdrawn at the stop, never run: not an evaluation; a resume proposes again.
              on_committed(self);
              return;
            }
            if (code_of(err) == errc::queue_full && !is_stopping(s)) {
              // Back-pressure: wait, then ask again; the evaluation stays in flight. One timer
              // (on the actor clock) serves every refusal that arrives before it fires.
              s.refused.push_back([=] { verify_one(self, job); });
              if (s.refused.size() == 1)
                self->delayed_send(self, s.backoff.next(), retry_atom_v);
              return;
            }
            s.log.error("verification failed",
                        {{"task", s.rec.task_id}, {"cand", short_id(job->hash)}, {"error", describe(err)}});
            if (leaves_task_resumable(code_of(err)))
              stop_searching(s, err);
            else if (stops_task(code_of(err))) {
              s.rec.stop_reason = "verifier: " + describe(err);
              stop_searching(s);
            }
            on_committed(self);
          });
}

void verify_all(task_pointer self, std::vector<proposal> fresh, std::vector<std::string> hashes,
                const std::string& stage, const std::vector<parent_info>& parent, const std::string& policy,
                const std::string& model, int32_t granted) {
  auto& st = self->state;
  fresh.resize(std::min(fresh.size(), static_cast<size_t>(std::max(0, granted))));
  for (size_t i = 0; i < fresh.size(); ++i) {
    auto& p = fresh[i];
    const auto& hash = hashes[i];
    st.hashes.insert(hash);
    add_tried(st.tried, settings_fingerprint(p.knobs));
    ++st.in_flight;
    if (!p.parse_error.empty()) {
      // No usable kernel in the reply: a verdict at the parse gate, nothing to verify.
      verification v{kforge::failed_verdict(kforge::gate_parse, p.parse_error, st.cfg.device), {}, false};
      on_verdict(self, p, hash, stage, parent, policy, model, std::move(v));
      continue;
    }
    verify_one(self, std::make_shared<const candidate_job>(
                         candidate_job{std::move(p), hash, stage, parent, policy, model}));
  }
}

void on_proposals(task_pointer self, policy_reply reply, std::string stage, std::vector<parent_info> parent) {
  auto& st = self->state;
  std::vector<proposal> fresh;
  std::vector<std::string> hashes;  // candidate_hash of each, computed once
  keep_untried(reply.proposals, st.hashes, st.cfg.campaign, st.rec.task_id, fresh, hashes);
  st.rec.step += 1;
  if (fresh.empty()) {
    // Nothing new from this parent: lower its value so that another archive member is refined.
    if (!parent.empty())
      st.arch.reward_parent(parent.front().hash, -1.0);
    if (reply.exhausted || ++st.duplicate_steps >= st.cfg.max_duplicate_steps) {
      end_task(self, "exhausted");
      return;
    }
    step(self);
    return;
  }
  st.duplicate_steps = 0;
  auto n = static_cast<int32_t>(fresh.size());
  self->request(st.peers.owner, caf::infinite, grant_atom_v, st.rec.task_id, n)
      .then(
          [=](int32_t granted) mutable {
            // -1: the campaign stops (a resume goes on); 0: the budget is spent (done for good).
            if (granted == 0 && !is_stopping(self->state)) {
              end_task(self, "campaign budget");
              return;
            }
            if (granted <= 0 || is_stopping(self->state)) {
              stop_searching(self->state);
              finish(self);
              return;
            }
            verify_all(self, std::move(fresh), std::move(hashes), stage, parent, reply.policy, reply.model,
                       granted);
          },
          [self](caf::error&) { finish(self); });
}

// Whether a refine step of this task draws a technique.
bool q_techniques(const task_state& st, const std::string& stage, const std::vector<parent_info>& parent) {
  return stage == "refine" && st.has_catalogue && !parent.empty();
}

void step(task_pointer self) {
  auto& st = self->state;
  if (is_stopping(st)) {
    finish(self);
    return;
  }
  if (is_done(st.rec) || st.rec.evaluations >= st.cfg.steps.evaluations) {
    end_task(self, st.rec.stop_reason.empty() ? "budget" : st.rec.stop_reason);
    return;
  }
  auto seed = step_seed(st);
  auto plan = plan_step(phase_of(st.rec), st.arch, st.history.best(st.rec.best_hash), seed);
  auto stage = std::move(plan.stage);
  auto parent = std::move(plan.parent);
  context_query q{st.cfg.campaign,
                  st.rec.task_id,
                  st.task->family,
                  stage,
                  parent.empty() ? std::string{} : parent.front().perf_state,
                  st.cfg.context_items,
                  seed};
  q.kb_n = stage == "refine" ? st.cfg.kb_items : 0;
  q.policy = st.cfg.policy;
  q.techniques = q_techniques(st, stage, parent);
  self->request(st.peers.retriever, caf::infinite, retrieve_atom_v, std::move(q))
      .then(
          [=](context_reply& ctx) {
            auto& s = self->state;
            auto remaining = s.cfg.steps.evaluations - s.rec.evaluations;
            auto k = static_cast<int32_t>(std::min<int64_t>(s.cfg.candidates_per_step, remaining));
            auto req = step_request(s.cfg.campaign, s.rec, *s.task, s.cfg.roofline, stage, k, mix64(seed));
            req.context = std::move(ctx.items);
            req.kb = std::move(ctx.kb);
            req.parent = parent;
            req.feedback.assign(s.feedback.begin(), s.feedback.end());
            req.tried = s.tried;
            if (q_techniques(s, stage, parent)) {
              learn_techniques(s.catalogue, ctx.techniques);
              req.technique = draw_technique(s.catalogue, ctx.techniques, s.task->family,
                                             parent.front().perf_state, seed, s.cfg.technique);
            }
            auto entry = req.technique.entry_id;
            self->request(s.peers.llm, caf::infinite, propose_atom_v, std::move(req))
                .then(
                    [=](policy_reply& reply) {
                      // The drawn technique's entry shaped every proposal: its use count and value move.
                      if (!entry.empty())
                        for (auto& p : reply.proposals)
                          if (std::find(p.context_ids.begin(), p.context_ids.end(), entry) ==
                              p.context_ids.end())
                            p.context_ids.push_back(entry);
                      auto& t = self->state;
                      t.reask.on_success();
                      if (t.waiting_since_ms != 0) {
                        t.log.info("the model answers again", {{"task", t.rec.task_id}});
                        t.waiting_since_ms = 0;
                        t.last_error.clear();
                        self->send(t.peers.owner, progress_atom_v, current_progress(t));
                      }
                      on_proposals(self, std::move(reply), stage, parent);
                    },
                    [self](caf::error& err) {
                      auto& t = self->state;
                      auto code = code_of(err);
                      auto d = t.reask.on_failure(code, clock_now(self));
                      if (code == errc::llm_unreachable) {
                        // Waiting for the model costs time only: no step, no evaluation, no tokens.
                        if (t.waiting_since_ms == 0) {
                          t.waiting_since_ms = wall_ms();
                          t.log.warning("waiting for the model",
                                        {{"task", t.rec.task_id}, {"error", describe(err)}});
                        }
                        t.last_error = describe(err);
                        if (d.unreachable) {
                          // Not done: the campaign stops, and a resume asks again.
                          t.log.error("the model stayed unreachable; stopping",
                                      {{"task", t.rec.task_id}, {"error", describe(err)}});
                          t.unreachable = true;
                          stop_searching(t);
                          finish(self);
                          return;
                        }
                        self->send(t.peers.owner, progress_atom_v, current_progress(t));
                        t.log.debug("asking the model again",
                                    {{"task", t.rec.task_id}, {"wait_ms", d.wait.count()}});
                        self->delayed_send(self, d.wait, propose_atom_v);
                        return;
                      }
                      if (d.ask_again) {
                        // The endpoint is down for longer than the proxy's retries: wait, ask again.
                        t.log.warning(
                            "policy failed; asking again",
                            {{"task", t.rec.task_id}, {"error", describe(err)}, {"wait_ms", d.wait.count()}});
                        self->delayed_send(self, d.wait, propose_atom_v);
                        return;
                      }
                      if (d.is_failure)
                        t.log.error("policy failed", {{"task", t.rec.task_id}, {"error", describe(err)}});
                      end_task(self, d.stop_reason);
                    });
          },
          [self](caf::error& err) {
            self->state.log.error("retrieval failed",
                                  {{"task", self->state.rec.task_id}, {"error", describe(err)}});
            end_task(self, "retrieval failed");
          });
}

void begin(task_pointer self) {
  auto& st = self->state;
  self->request(st.peers.curator, caf::infinite, load_atom_v, st.cfg.campaign, st.rec.task_id)
      .then(
          [self](std::vector<memory::candidate_record>& committed) {
            auto& s = self->state;
            for (auto& c : committed) {
              // Rebuild the archive and the parents' values by replaying the history in order.
              s.arch.add(c);
              if (!c.parents.empty())
                s.arch.reward_parent(c.parents.front(), c.reward);
              s.hashes.insert(c.hash);
              add_tried(s.tried, settings_fingerprint(c.knobs));
              s.feedback.push_back(feedback_line(c, s.cfg.feedback_chars));
              s.history.add(c, s.rec.best_hash);
            }
            while (s.feedback.size() > static_cast<size_t>(std::max(0, s.cfg.feedback_items)))
              s.feedback.pop_front();
            if (s.rec.reference_latency_ns > 0) {
              step(self);
              return;
            }
            self->request(s.peers.verifier, caf::infinite, reference_atom_v, s.rec.task_id)
                .then(
                    [self](kforge::timing_stats& t) {
                      self->state.rec.reference_latency_ns = t.median_ns;
                      step(self);
                    },
                    [self](caf::error& err) {
                      auto& t = self->state;
                      t.log.error("reference failed", {{"task", t.rec.task_id}, {"error", describe(err)}});
                      if (!leaves_task_resumable(code_of(err)))
                        return end_task(self, "reference failed");
                      stop_searching(t, err);  // undone: a resume prepares it again
                      finish(self);
                    });
          },
          [self](caf::error& err) {
            self->state.log.error("cannot load task history",
                                  {{"task", self->state.rec.task_id}, {"error", describe(err)}});
            finish(self);
          });
}

task_actor::behavior_type task_behavior(task_pointer self, std::shared_ptr<const kforge::task_map> tasks,
                                        std::string task_id, memory::task_record record, task_config cfg,
                                        task_peers peers) {
  auto& st = self->state;
  st.tasks = std::move(tasks);
  // No throw from a missing task: the start handler ends the task instead.
  if (auto it = st.tasks->find(task_id); it != st.tasks->end()) {
    st.task = &it->second;
    if (st.task->template_source.size() >= memory::shared_tail_min)
      st.template_tail = std::make_shared<const memory::shared_tail>(
          memory::shared_tail{sha256_hex(st.task->template_source), st.task->template_source});
  }
  st.rec = std::move(record);
  st.cfg = std::move(cfg);
  if (st.task != nullptr && st.cfg.techniques != nullptr) {
    if (auto it = st.cfg.techniques->find(st.task->backend); it != st.cfg.techniques->end()) {
      st.catalogue = it->second;
      st.has_catalogue = true;
    }
  }
  st.arch = archive{st.cfg.archive};
  using std::chrono::milliseconds;  // capped at 1 s: a refusal is one message, a longer wait idles
  st.backoff = queue_backoff{st.cfg.retry_backoff, std::max(st.cfg.retry_backoff, milliseconds{1000})};
  st.reask = reask_policy{st.cfg.policy_reasks, st.cfg.retry_backoff,
                          outage_config{st.cfg.outage_max_wait, st.cfg.outage_horizon}};
  st.peers = std::move(peers);
  return {
      [self, task_id](start_atom) {
        if (self->state.task == nullptr) {
          self->state.log.error("unknown task; not started", {{"task", task_id}});
          finish(self);
          return;
        }
        // A done task whose best was never re-measured loads its history (begin), then ends.
        if (is_done(self->state.rec) && !needs_final(self->state)) {
          finish(self);
          return;
        }
        begin(self);
      },
      [self](stop_atom, bool campaign_ends) {
        auto& s = self->state;
        s.final_at_stop = campaign_ends;
        stop_searching(s);
        // Candidates that have not started are taken back: the stop does not wait for the queue.
        if (!s.verifying.empty())
          self->send(s.peers.verifier, stop_atom_v, s.rec.task_id, s.verifying);
        // Refused verifications never started: drop them.
        s.in_flight -= static_cast<int32_t>(s.refused.size());
        s.refused.clear();
        if (s.in_flight == 0)
          finish(self);
      },
      [self](propose_atom) {
        if (self->state.now != activity::finished)
          step(self);
      },
      [self](retry_atom) {
        auto retries = std::move(self->state.refused);
        self->state.refused.clear();
        for (auto& retry : retries)
          retry();
      },
  };
}

}  // namespace

task_actor spawn_task(caf::actor_system& sys, std::shared_ptr<const kforge::task_map> tasks,
                      std::string task_id, memory::task_record record, task_config cfg, task_peers peers) {
  return sys.spawn(task_behavior, std::move(tasks), std::move(task_id), std::move(record), std::move(cfg),
                   std::move(peers));
}

}  // namespace kforge::actors
