#include "runtime/campaign/campaign_supervisor.hpp"

#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/campaign_setup.hpp"
#include "runtime/campaign/supervisor_phases.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <ctime>
#include <deque>
#include <limits>
#include <map>
#include <set>

namespace kforge::runtime {

namespace {

struct supervisor_state {
  supervisor_setup setup;
  memory::campaign_record campaign;
  std::map<std::string, actors::task_progress> tasks;               // by task id
  std::map<caf::actor_addr, std::string> live;                      // task actors still running
  std::vector<actors::task_actor> handles;                          // keeps task actors reachable
  std::deque<std::pair<std::string, memory::task_record>> waiting;  // not started yet (max_live_tasks)
  actors::task_config task_cfg;
  int64_t budget = 0;
  int64_t granted = 0;  // evaluations granted in this run
  int64_t start_evaluations = 0;
  caf::actor_clock::time_point started;  // on the actor clock, which tests drive
  actors::verifier_stats verifier;
  supervisor_phases phases;
  std::string note;
  int64_t campaign_unreachable_since = 0;  // wall ms; set when the model stayed unreachable
  double wall_recorded_ms = 0;             // of this run's elapsed time, what is added to the stored wall_ms
  std::vector<std::pair<caf::typed_response_promise<int32_t>, int32_t>> held;  // grants asked while paused
  double stop_ms = -1;          // elapsed_ms at the stop; -1 while not stopping
  double stop_reported_ms = 0;  // when the stop's progress was last logged
  log::logger log{"kforge.supervisor"};
  static inline const char* name = "kforge.supervisor";
};

using supervisor_pointer = supervisor_actor::stateful_pointer<supervisor_state>;

// "2026-12-03 16:40:58 UTC" for a wall time in Unix ms.
std::string utc_time(int64_t unix_ms) {
  auto t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// Wall time of this run so far, by the actor clock.
double elapsed_ms(supervisor_pointer self) {
  return std::chrono::duration<double, std::milli>(self->clock().now() - self->state.started).count();
}

// The wall-time budget left, counting what earlier runs spent (campaign.wall_ms); 0 = spent.
// Only meaningful with a budget (wall_minutes > 0).
caf::timespan wall_left(supervisor_pointer self) {
  const auto& st = self->state;
  double left_ms = st.setup.config.wall_minutes * 60000.0 - st.campaign.wall_ms - elapsed_ms(self);
  if (left_ms <= 0)
    return caf::timespan{0};
  // Rounded up, so that the reminder never comes before the budget is spent.
  return std::chrono::ceil<caf::timespan>(std::chrono::duration<double, std::milli>{left_ms});
}

int64_t committed(const supervisor_state& st) {
  int64_t total = 0;
  for (const auto& [id, p] : st.tasks)
    total += p.evaluations;
  return total;
}

actors::campaign_progress snapshot(supervisor_pointer self) {
  const auto& st = self->state;
  actors::campaign_progress p;
  p.campaign = st.setup.config.name;
  p.status = st.phases.status();
  p.store_path = st.setup.config.store_path.string();
  for (const auto& [id, t] : st.tasks)
    p.tasks.push_back(t);
  p.evaluations = committed(st);
  p.session_evaluations = p.evaluations - st.start_evaluations;
  p.budget = st.budget;
  p.elapsed_ms = elapsed_ms(self);
  p.verifier = st.verifier;
  p.note = st.note;
  p.unreachable_since_ms = st.campaign_unreachable_since;
  p.flag_speedup = st.setup.config.verifier.flag_speedup;
  return p;
}

void stop_tasks(supervisor_pointer self, stop_reason reason) {
  auto& st = self->state;
  if (!st.phases.stop(reason))
    return;
  st.waiting.clear();
  auto note = stop_note(reason);
  if (st.note.empty())
    st.note = note;
  st.log.info("stopping campaign", {{"campaign", st.setup.config.name}, {"reason", note}});
  st.stop_ms = st.stop_reported_ms = elapsed_ms(self);
  // A spent budget ends the campaign, so its tasks' bests are re-measured; any other stop is resumed.
  bool ends = reason == stop_reason::wall_budget || reason == stop_reason::llm_budget;
  for (const auto& h : st.handles)
    self->send(h, stop_atom_v, ends);
  // Held grants are answered after the stop, so each task sees it is stopping first.
  for (auto& [promise, wanted] : st.held)
    promise.deliver(int32_t{0});
  st.held.clear();
}

// Evaluations granted to a task's step: 0 when the budget is spent (the task ends for good),
// -1 when the campaign is stopping (the task only stops: a resume goes on with it).
int32_t grant(supervisor_state& s, int32_t wanted) {
  if (s.phases.refuses_grants())
    return -1;
  if (wanted <= 0)
    return 0;
  int64_t left = s.budget - s.start_evaluations - s.granted;
  auto granted = static_cast<int32_t>(std::max<int64_t>(0, std::min<int64_t>(wanted, left)));
  s.granted += granted;
  if (granted == 0 && s.note.empty())
    s.note = "evaluation budget spent";
  return granted;
}

// How often a stop that is still waiting for tasks says which.
constexpr double stop_report_ms = 30000;

// While stopping, every stop_report_ms: how many tasks are still finishing and which (a stop that
// does not end is then visible in the log, with the tasks it waits for).
void report_stopping(supervisor_pointer self) {
  auto& st = self->state;
  auto now = elapsed_ms(self);
  if (st.stop_ms < 0 || st.live.empty() || now - st.stop_reported_ms < stop_report_ms)
    return;
  st.stop_reported_ms = now;
  std::string some;
  int listed = 0;
  for (const auto& [addr, id] : st.live) {
    if (listed++ == 5)
      break;
    some += (some.empty() ? "" : ", ") + id;
  }
  st.log.warning("still stopping: tasks finishing their in-flight work",
                 {{"campaign", st.setup.config.name},
                  {"tasks", st.live.size()},
                  {"seconds", static_cast<int64_t>((now - st.stop_ms) / 1000)},
                  {"among", some}});
}

// Tells the listener that the campaign ended and quits. The owner lock goes first, so that whoever
// gets `done` (the daemon restarting a campaign) may take it again at once.
void end_supervisor(supervisor_pointer self) {
  auto last = snapshot(self);
  self->state.setup.owner.reset();
  self->send(self->state.setup.listener, done_atom_v, std::move(last));
  self->quit();
}

// How often a running campaign adds the wall time that passed to its stored record, so that a
// run killed with SIGKILL still counts (up to this much is lost).
constexpr double wall_checkpoint_ms = 10000;

// Adds the wall time not yet recorded to the stored campaign (status unchanged), counted as
// recorded when sent: the curator commits in order, so the end's remainder comes after it.
void checkpoint_wall(supervisor_pointer self) {
  auto& st = self->state;
  auto delta = elapsed_ms(self) - st.wall_recorded_ms;
  if (delta < wall_checkpoint_ms || st.phases.is_closed())
    return;
  st.wall_recorded_ms += delta;
  self->request(st.setup.curator, caf::infinite, campaign_atom_v, st.setup.config.name,
                std::string{"running"}, delta)
      .then([](memory::campaign_record&) {},
            [self, delta](caf::error& err) {
              self->state.wall_recorded_ms -= delta;  // the end records it instead
              self->state.log.warning(
                  "cannot record the campaign's wall time",
                  {{"campaign", self->state.setup.config.name}, {"error", describe(err)}});
            });
}

// Sends the final snapshot, with fresh verifier figures, and quits.
void report_done(supervisor_pointer self) {
  auto& st = self->state;
  self->request(st.setup.verifier, st.setup.tick * 4, stats_atom_v)
      .then(
          [self](actors::verifier_stats& vs) {
            self->state.verifier = std::move(vs);
            self->state.phases.end();
            end_supervisor(self);
          },
          [self](caf::error&) {
            self->state.phases.end();
            end_supervisor(self);
          });
}

void close_campaign(supervisor_pointer self) {
  auto& st = self->state;
  bool all_done = true;
  for (const auto& [id, t] : st.tasks)
    if (t.phase != "done")
      all_done = false;
  if (!st.phases.close(all_done))
    return;
  self->request(st.setup.curator, caf::infinite, campaign_atom_v, st.setup.config.name, st.phases.status(),
                elapsed_ms(self) - st.wall_recorded_ms)
      .then(
          [self](memory::campaign_record&) {
            auto& s = self->state;
            s.log.info("campaign ended", {{"campaign", s.setup.config.name}, {"status", s.phases.status()}});
            report_done(self);
          },
          [self](caf::error& err) {
            auto& s = self->state;
            s.log.error("cannot record campaign end",
                        {{"campaign", s.setup.config.name}, {"error", describe(err)}});
            s.note = "could not record the campaign's end: " + describe(err);
            report_done(self);
          });
}

// Starts waiting tasks, in order, while fewer than max_live_tasks run.
void start_waiting(supervisor_pointer self) {
  auto& st = self->state;
  auto limit = st.setup.config.max_live_tasks > 0 ? static_cast<size_t>(st.setup.config.max_live_tasks)
                                                  : std::numeric_limits<size_t>::max();
  actors::task_peers peers{self, st.setup.retriever, st.setup.llm, st.setup.verifier, st.setup.curator};
  while (!st.phases.refuses_grants() && !st.waiting.empty() && st.live.size() < limit) {
    auto [id, rec] = std::move(st.waiting.front());
    st.waiting.pop_front();
    auto h = actors::spawn_task(self->system(), st.setup.tasks, id, std::move(rec), st.task_cfg, peers);
    self->monitor(h);
    st.live.emplace(h.address(), id);
    st.handles.push_back(h);
    self->send(h, start_atom_v);
  }
}

void start_tasks(supervisor_pointer self, std::vector<memory::task_record> stored) {
  auto& st = self->state;
  const auto& cfg = st.setup.config;
  std::map<std::string, memory::task_record> by_id;
  for (auto& r : stored) {
    auto id = r.task_id;
    by_id.emplace(std::move(id), std::move(r));
  }
  actors::task_config tc;
  tc.campaign = cfg.name;
  tc.seed = cfg.seed;
  tc.steps.evaluations = cfg.evaluations_per_task;
  tc.steps.plateau = cfg.plateau;
  tc.steps.flag_speedup = cfg.verifier.flag_speedup;
  tc.steps.noise = cfg.verifier.noise_threshold;
  tc.final_rounds = cfg.verifier.final_rounds;
  tc.candidates_per_step = cfg.candidates_per_step;
  tc.policy_reasks = cfg.llm.task_reasks;
  tc.outage_max_wait = std::chrono::milliseconds{static_cast<int64_t>(cfg.llm.outage_max_wait_s * 1000)};
  tc.outage_horizon = std::chrono::milliseconds{static_cast<int64_t>(cfg.llm.outage_horizon_s * 1000)};
  tc.policy = cfg.policy;
  tc.feedback_chars = cfg.llm.feedback_chars;
  tc.context_items = cfg.memory_enabled ? cfg.context_items : 0;
  tc.kb_items = cfg.memory_enabled ? cfg.memory.kb_items : 0;
  tc.roofline = st.setup.roofline;
  tc.archive.best = cfg.archive.best;
  tc.archive.diverse = cfg.archive.diverse;
  tc.archive.min_distance = cfg.archive.min_distance;
  tc.archive.epsilon = cfg.archive.epsilon;
  tc.archive.prior_scale = cfg.archive.prior_scale;
  tc.archive.alpha = cfg.alpha;
  tc.device = cfg.verifier.device;
  tc.techniques = st.setup.techniques;
  tc.technique = technique_config_of(cfg);
  st.task_cfg = tc;
  std::vector<std::string> changed;
  for (const auto& id : task_start_order(*st.setup.tasks, cfg.family_order)) {
    const auto& def = st.setup.tasks->at(id);
    memory::task_record rec;
    auto it = by_id.find(id);
    if (it != by_id.end()) {
      rec = it->second;
      if (rec.definition_hash != def.definition_hash) {
        changed.push_back(id);
        rec.definition_hash = def.definition_hash;  // the task's next commit records the edit
      }
    } else {
      rec.campaign = cfg.name;
      rec.task_id = id;
      rec.definition_hash = def.definition_hash;
      rec.family = def.family;
      rec.backend = def.backend;
    }
    st.tasks[id] = actors::progress_of(rec, cfg.evaluations_per_task);
    // A done task runs again only to re-measure a best it ended with and never re-measured.
    bool measured =
        cfg.verifier.final_rounds <= 0 || rec.best_hash.empty() || rec.final_hash == rec.best_hash;
    if (rec.phase == "done" && measured)
      continue;
    st.waiting.emplace_back(id, std::move(rec));
  }
  if (!changed.empty())
    st.log.warning("task definitions changed since the campaign began; continuing with the new ones",
                   {{"campaign", cfg.name},
                    {"tasks", changed.size()},
                    {"first", changed.front()},
                    {"last", changed.back()}});
  st.start_evaluations = committed(st);
  st.log.info("campaign running", {{"campaign", cfg.name},
                                   {"tasks", st.tasks.size()},
                                   {"unfinished", st.waiting.size()},
                                   {"committed", st.start_evaluations},
                                   {"budget", st.budget}});
  if (st.waiting.empty()) {
    close_campaign(self);
    return;
  }
  start_waiting(self);
  // A stop that came while the campaign opened starts no task, so no task's end will close it.
  if (st.live.empty())
    close_campaign(self);
}

// Stops the campaign if its wall-time budget is spent, else reminds itself when it will be.
void check_wall_budget(supervisor_pointer self) {
  auto& st = self->state;
  if (st.setup.config.wall_minutes <= 0 || st.phases.is_closed())
    return;
  auto left = wall_left(self);
  if (left <= caf::timespan{0})
    stop_tasks(self, stop_reason::wall_budget);
  else
    self->delayed_send(self, left, wall_atom_v);
}

supervisor_actor::behavior_type supervisor_behavior(supervisor_pointer self, supervisor_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  st.started = self->clock().now();
  const auto& cfg = st.setup.config;
  st.budget = cfg.evaluation_budget(st.setup.tasks->size());
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& s = self->state;
    s.live.erase(dm.source);
    start_waiting(self);
    if (s.live.empty())
      close_campaign(self);
  });

  memory::campaign_record proposal;
  proposal.id = cfg.name;
  proposal.config_path = cfg.file.string();
  proposal.config_text = cfg.text;
  proposal.config_hash = sha256_hex(cfg.text);
  proposal.seed = cfg.seed;
  self->request(st.setup.curator, caf::infinite, campaign_atom_v, proposal)
      .then(
          [self](memory::campaign_record& rec, std::vector<memory::task_record>& stored) {
            auto& s = self->state;
            if (rec.config_hash != sha256_hex(s.setup.config.text))
              s.log.warning("campaign config changed since it began; continuing with the new one",
                            {{"campaign", rec.id}});
            s.campaign = rec;
            if (rec.status == "finished") {
              s.phases.already_finished();
              s.note = "the campaign had already finished";
              for (const auto& r : stored) {
                s.tasks[r.task_id] = actors::progress_of(r, s.setup.config.evaluations_per_task);
              }
              s.start_evaluations = committed(s);
              end_supervisor(self);
              return;
            }
            s.phases.open();
            start_tasks(self, std::move(stored));
            check_wall_budget(self);
            self->send(self, caf::tick_atom_v);
          },
          [self](caf::error& err) {
            auto& s = self->state;
            s.phases.fail();
            s.note = "cannot open the campaign: " + describe(err);
            s.log.error("cannot open campaign",
                        {{"campaign", s.setup.config.name}, {"error", describe(err)}});
            end_supervisor(self);
          });

  return {
      [self](grant_atom, const std::string&, int32_t wanted) -> caf::result<int32_t> {
        auto& s = self->state;
        if (s.phases.holds_grants()) {
          auto promise = self->make_response_promise<int32_t>();
          s.held.emplace_back(promise, wanted);
          return promise;
        }
        return grant(s, wanted);
      },
      [self](pause_atom) {
        auto& s = self->state;
        if (!s.phases.pause())
          return;
        s.log.info("campaign paused", {{"campaign", s.setup.config.name}});
      },
      [self](resume_atom) {
        auto& s = self->state;
        if (!s.phases.resume())
          return;
        s.log.info("campaign resumed", {{"campaign", s.setup.config.name}});
        auto held = std::move(s.held);
        s.held.clear();
        for (auto& [promise, wanted] : held)
          promise.deliver(grant(s, wanted));
      },
      [self](progress_atom, actors::task_progress& p) {
        // Once the LLM budget is spent no task can ask again; the campaign says so.
        if (p.stop_reason == stop_note(stop_reason::llm_budget))
          stop_tasks(self, stop_reason::llm_budget);
        // A task waited for the model past the horizon: stop, resumable, and say since when.
        if (p.unreachable && !self->state.phases.refuses_grants()) {
          auto& s = self->state;
          s.campaign_unreachable_since = p.waiting_since_ms;
          s.note = "the model was unreachable since " + utc_time(p.waiting_since_ms) +
                   " (last: " + p.last_error + ")";
          stop_tasks(self, stop_reason::model_unreachable);
        }
        auto id = p.task_id;
        self->state.tasks[id] = std::move(p);
      },
      [self](progress_atom) -> actors::campaign_progress { return snapshot(self); },
      [self](stop_atom) { stop_tasks(self, stop_reason::requested); },
      [self](wall_atom) { check_wall_budget(self); },
      [self](caf::tick_atom) {
        auto& s = self->state;
        if (s.phases.is_closed())
          return;
        checkpoint_wall(self);
        report_stopping(self);
        self->request(s.setup.verifier, s.setup.tick * 4, stats_atom_v)
            .then(
                [self](actors::verifier_stats& vs) {
                  self->state.verifier = std::move(vs);
                  self->send(self->state.setup.listener, progress_atom_v, snapshot(self));
                },
                [self](caf::error&) {
                  self->send(self->state.setup.listener, progress_atom_v, snapshot(self));
                });
        self->delayed_send(self, s.setup.tick, caf::tick_atom_v);
      },
  };
}

}  // namespace

std::vector<std::string> task_start_order(const kforge::task_map& tasks,
                                          const std::vector<std::string>& family_order) {
  auto rank = [&](const std::string& family) {
    auto it = std::find(family_order.begin(), family_order.end(), family);
    return static_cast<size_t>(it - family_order.begin());  // unlisted families last
  };
  std::vector<std::string> ids;
  for (const auto& [id, def] : tasks)
    ids.push_back(id);
  std::stable_sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
    return rank(tasks.at(a).family) < rank(tasks.at(b).family);
  });
  return ids;
}

supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_setup setup) {
  return sys.spawn(supervisor_behavior, std::move(setup));
}

}  // namespace kforge::runtime
