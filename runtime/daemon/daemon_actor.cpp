#include "runtime/daemon/daemon_actor.hpp"

#include "runtime/base/log.hpp"
#include "runtime/base/wall_clock.hpp"
#include "runtime/campaign/campaign_launch.hpp"
#include "runtime/daemon/campaign_scan.hpp"
#include "runtime/daemon/daemon_worker.hpp"
#include "runtime/daemon/device_pools.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace kforge::runtime {

namespace {

enum class phase { idle, launching, running };

struct campaign_entry {
  campaign_config cfg;
  std::string file;  // empty: resumed from the store's copy of the config
  std::string hash;  // of the config text it runs with
  phase at = phase::idle;
  std::optional<supervisor_actor> supervisor;
  std::optional<actors::llm_proxy_actor> llm;
  std::optional<campaign_config> next;  // a changed file: run this once the stop has committed
  std::string next_hash;
  bool start_after_stop = false;  // resume of a stopped campaign arrived while it was stopping
  bool stop_requested = false;    // a stop arrived while it was launching
  bool finished = false;          // ended for good in this daemon
};

struct daemon_state {
  daemon_config cfg;
  memory::store* store = nullptr;
  daemon_registry* registry = nullptr;
  daemon_worker worker;
  std::optional<device_pools> pools;
  std::optional<actors::retriever_actor> retriever;
  std::optional<actors::curator_actor> curator;
  std::map<std::string, campaign_entry> entries;
  std::map<std::string, watched_file> files;
  std::map<std::string, std::string> errors;  // file -> why it does not run
  size_t launches = 0;                        // launch requests the worker has not answered
  bool first_scan = true;
  bool shutting_down = false;
  int64_t started_ms = wall_ms();
  log::logger log{"kforge.daemon"};
  static inline const char* name = "kforge.daemon";
};

using daemon_pointer = daemon_actor::stateful_pointer<daemon_state>;

void start_campaign(daemon_pointer self, campaign_config cfg, const std::string& file,
                    const std::string& hash);

size_t live_supervisors(const daemon_state& st) {
  size_t n = 0;
  for (const auto& [name, e] : st.entries)
    n += e.supervisor ? size_t{1} : size_t{0};
  return n;
}

void publish_info(daemon_state& st) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& [path, w] : st.files)
    files.push_back({{"file", path}, {"campaign", w.name}, {"hash", w.hash}});
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& [path, msg] : st.errors)
    errors.push_back({{"file", path}, {"message", msg}});
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& p : st.pools->info())
    devices.push_back({{"device", p.device}, {"settings_from", p.settings_from}, {"tasks", p.tasks}});
  nlohmann::json info = {{"store", st.cfg.store.string()},
                         {"campaigns_path", st.cfg.campaigns.string()},
                         {"listen", st.cfg.listen},
                         {"started_ms", st.started_ms},
                         {"shutting_down", st.shutting_down},
                         {"files", files},
                         {"errors", errors},
                         {"pools", devices}};
  if (st.cfg.workers.enabled())
    info["workers"] = {
        {"listen", st.cfg.workers.listen}, {"tls", st.cfg.workers.tls}, {"local", st.cfg.workers.local}};
  st.registry->set_info(info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Records why a file does not run, shows it in /api/daemon, then logs it (in that order, so a
// reader of the log finds it in the API).
void file_error(daemon_state& st, const std::string& file, const std::string& message, const char* what) {
  st.errors[file] = message;
  publish_info(st);
  st.log.error(what, {{"file", file}, {"error", message}});
}

void launch_failed(daemon_state& st, const std::string& name, const std::string& file,
                   const caf::error& err) {
  st.registry->set_state(name, "invalid", file, describe(err));
  if (!file.empty())
    file_error(st, file, describe(err), "cannot start campaign");
  else
    st.log.error("cannot start campaign", {{"campaign", name}, {"error", describe(err)}});
}

// Once every supervisor has reported `done` and no launch is in flight: stops the pools, the
// campaigns' proxies and the worker (which stops the shared memory actors), then quits.
void finish_if_idle(daemon_pointer self) {
  auto& st = self->state;
  if (!st.shutting_down || st.launches > 0 || live_supervisors(st) > 0)
    return;
  st.pools->drain_all();
  for (auto& [name, e] : st.entries)
    if (e.llm)
      self->send_exit(*e.llm, caf::exit_reason::user_shutdown);
  self->send_exit(st.worker, caf::exit_reason::user_shutdown);
  self->quit();
}

void stop_supervisor(daemon_pointer self, campaign_entry& e, const std::string& name,
                     const std::string& note) {
  self->send(*e.supervisor, stop_atom_v);
  self->state.registry->set_state(name, "stopping", e.file, note);
}

void on_launched(daemon_pointer self, const std::string& name, launch_reply& reply) {
  auto& st = self->state;
  st.launches -= 1;
  st.retriever = reply.retriever;
  st.curator = reply.curator;
  auto& e = st.entries[name];
  e.at = phase::idle;
  if (st.shutting_down) {
    st.registry->set_state(name, "stopped", e.file, "the daemon stopped before the campaign started");
    finish_if_idle(self);
    return;
  }
  auto& prep = reply.prep;
  auto verifier = st.pools->pool_for(prep.cfg, *prep.tasks, std::move(prep.backends), *st.curator);
  if (!verifier) {
    launch_failed(st, name, e.file, verifier.error());
    return;
  }
  if (!prep.cfg.memory.from.empty())
    st.log.info("memory imported",
                {{"campaign", name}, {"from", prep.cfg.memory.from.string()}, {"items", prep.imported}});
  st.log.info("roofline", {{"campaign", name}, {"note", prep.roofline_note}});
  auto launched =
      spawn_campaign(self->system(), std::move(prep), {*st.retriever, *st.curator, *verifier},
                     caf::actor_cast<progress_listener>(self), std::chrono::milliseconds{st.cfg.tick_ms});
  e.at = phase::running;
  e.supervisor = launched.supervisor;
  e.llm = launched.llm;
  st.registry->set_state(name, "running", e.file, "");
  st.log.info("campaign started", {{"campaign", name}, {"file", e.file.empty() ? "(store)" : e.file}});
  if (e.next)
    stop_supervisor(self, e, name, "restarting with the changed file");
  else if (e.stop_requested)
    stop_supervisor(self, e, name, "");
  publish_info(st);
}

void start_campaign(daemon_pointer self, campaign_config cfg, const std::string& file,
                    const std::string& hash) {
  auto& st = self->state;
  auto name = cfg.name;
  if (cfg.workers.enabled()) {
    launch_failed(
        st, name, file,
        make_error(errc::bad_config, (file.empty() ? name : file) +
                                         ": [workers] in a campaign of the daemon: workers join the daemon, "
                                         "not a campaign; put the [workers] table in the daemon's config "
                                         "(docs/workers.md)"));
    return;
  }
  auto& e = st.entries[name];
  e.cfg = cfg;
  e.file = file;
  e.hash = hash;
  e.at = phase::launching;
  e.next.reset();
  e.start_after_stop = false;
  e.stop_requested = false;
  e.finished = false;
  st.registry->set_state(name, "starting", file, "");
  auto req = std::make_shared<launch_request>();
  req->make_backends = !st.pools->has(cfg.verifier.device);
  req->cfg = std::move(cfg);
  st.launches += 1;
  self->request(st.worker, caf::infinite, launch_atom_v,
                std::shared_ptr<const launch_request>{std::move(req)})
      .then([self, name](std::shared_ptr<launch_reply>& reply) { on_launched(self, name, *reply); },
            [self, name](caf::error& err) {
              auto& state = self->state;
              state.launches -= 1;
              auto& entry = state.entries[name];
              entry.at = phase::idle;
              launch_failed(state, name, entry.file, err);
              finish_if_idle(self);
            });
}

void apply_scan(daemon_pointer self, const scan_result& scan) {
  auto& st = self->state;
  std::map<std::string, known_campaign> known;
  for (const auto& [name, e] : st.entries)
    known[name] = {e.hash, e.at != phase::idle, e.finished};
  auto plan = plan_scan(scan.files, st.files, known);
  st.files = plan.files;
  for (const auto& a : plan.actions) {
    switch (a.verb) {
      case scan_verb::start:
        st.errors.erase(a.file);
        start_campaign(self, *scan.configs.at(a.file), a.file, plan.files.at(a.file).hash);
        break;
      case scan_verb::restart: {
        st.errors.erase(a.file);
        st.log.info("campaign file changed; restarting the campaign with it",
                    {{"campaign", a.campaign}, {"file", a.file}});
        auto& e = st.entries[a.campaign];
        e.next = *scan.configs.at(a.file);
        e.next_hash = plan.files.at(a.file).hash;
        e.file = a.file;
        if (e.supervisor)
          stop_supervisor(self, e, a.campaign, "restarting with the changed file");
        break;
      }
      case scan_verb::refuse:
        file_error(st, a.file, a.message, "two files define one campaign; this one is ignored");
        break;
      case scan_verb::report:
        file_error(st, a.file, a.message, "campaign file does not load; nothing changed");
        break;
      case scan_verb::removed:
        st.log.info("campaign file removed; its campaign is left as it is", {{"file", a.file}});
        st.errors.erase(a.file);
        break;
      case scan_verb::keep_finished:
        st.errors.erase(a.file);
        st.log.info("campaign file changed; the campaign has finished and stays finished",
                    {{"campaign", a.campaign}, {"file", a.file}});
        break;
    }
  }
  publish_info(st);
}

// Every unfinished campaign of the store that no file names, from its stored config.
void resume_stored(daemon_pointer self) {
  self->request(self->state.worker, caf::infinite, campaign_atom_v, std::string{})
      .then([self](std::shared_ptr<const stored_campaigns>& stored) {
        auto& st = self->state;
        if (!stored->error.empty()) {
          st.log.error("cannot list the store's campaigns", {{"error", stored->error}});
          return;
        }
        if (st.shutting_down)
          return;
        for (const auto& c : stored->campaigns) {
          if (c.status == "finished" || st.entries.count(c.id) > 0)
            continue;
          if (!c.config) {
            st.registry->set_state(c.id, "invalid", "", "the stored config no longer loads: " + c.error);
            continue;
          }
          st.log.info("resuming campaign from the store", {{"campaign", c.id}});
          start_campaign(self, *c.config, "", c.hash);
        }
      });
}

// Known only to the store (stopped before this daemon started): resume starts it.
void resume_from_store(daemon_pointer self, const std::string& name) {
  self->request(self->state.worker, caf::infinite, campaign_atom_v, name)
      .then([self, name](std::shared_ptr<const stored_campaigns>& stored) {
        auto& st = self->state;
        if (st.shutting_down || stored->campaigns.empty() || st.entries.count(name) > 0)
          return;
        const auto& c = stored->campaigns.front();
        if (c.status == "finished")
          return;
        if (!c.config) {
          st.registry->set_state(name, "invalid", "", c.error);
          return;
        }
        start_campaign(self, *c.config, "", c.hash);
      });
}

void scan(daemon_pointer self) {
  if (self->state.shutting_down)
    return;
  self->request(self->state.worker, caf::infinite, scan_atom_v)
      .then([self](std::shared_ptr<const scan_result>& result) {
        auto& st = self->state;
        if (st.shutting_down)
          return;
        apply_scan(self, *result);
        if (st.first_scan) {
          st.first_scan = false;
          resume_stored(self);
        }
        self->delayed_send(self, std::chrono::milliseconds{st.cfg.poll_ms}, scan_atom_v);
      });
}

void on_done(daemon_pointer self, actors::campaign_progress& p) {
  auto& st = self->state;
  st.registry->set_progress(p);
  auto it = st.entries.find(p.campaign);
  if (it == st.entries.end())
    return;
  auto& e = it->second;
  e.supervisor.reset();
  e.at = phase::idle;
  e.finished = p.status == "finished";
  if (e.llm)
    self->send_exit(*e.llm, caf::exit_reason::user_shutdown);
  e.llm.reset();
  st.registry->set_state(p.campaign, p.status, e.file, p.note);
  st.log.info("campaign ended",
              {{"campaign", p.campaign}, {"status", p.status}, {"evaluations", p.evaluations}});
  if (st.shutting_down) {
    finish_if_idle(self);
    return;
  }
  if (e.next) {
    auto cfg = std::move(*e.next);
    auto hash = e.next_hash;
    auto file = e.file;
    start_campaign(self, std::move(cfg), file, hash);
  } else if (e.start_after_stop && p.status == "stopped") {
    start_campaign(self, e.cfg, e.file, e.hash);
  }
}

void control(daemon_pointer self, const std::string& name, const std::string& action) {
  auto& st = self->state;
  if (st.shutting_down)
    return;  // every campaign is being stopped; the API already answers 409
  auto it = st.entries.find(name);
  if (it == st.entries.end()) {
    if (action == "resume")
      resume_from_store(self, name);
    return;
  }
  auto& e = it->second;
  if (e.at == phase::launching) {
    if (action == "stop")
      e.stop_requested = true;
    st.log.info("campaign control", {{"campaign", name}, {"action", action}});
    return;
  }
  if (e.supervisor) {
    if (action == "pause")
      self->send(*e.supervisor, pause_atom_v);
    else if (action == "resume")
      self->send(*e.supervisor, resume_atom_v);
    else if (action == "stop")
      self->send(*e.supervisor, stop_atom_v);
    if (action == "resume" && st.registry->state_of(name) == "stopping")
      e.start_after_stop = true;
    st.log.info("campaign control", {{"campaign", name}, {"action", action}});
    return;
  }
  if (action == "resume")
    start_campaign(self, e.cfg, e.file, e.hash);
}

void begin_shutdown(daemon_pointer self) {
  auto& st = self->state;
  if (st.shutting_down)
    return;
  st.shutting_down = true;
  st.registry->set_shutting_down();
  st.log.info("stopping: finishing in-flight evaluations of every campaign",
              {{"live", live_supervisors(st)}});
  for (auto& [name, e] : st.entries) {
    if (e.supervisor)
      stop_supervisor(self, e, name, "the daemon is stopping");
    else if (e.at == phase::launching)
      st.registry->set_state(name, "stopping", e.file, "the daemon is stopping");
  }
  publish_info(st);
  finish_if_idle(self);
}

daemon_actor::behavior_type daemon_behavior(daemon_pointer self, daemon_config cfg, memory::store* store,
                                            daemon_registry* registry, actors::worker_router_actor workers) {
  auto& st = self->state;
  st.worker = spawn_daemon_worker(self->system(), cfg, *store);
  st.cfg = std::move(cfg);
  st.store = store;
  st.registry = registry;
  st.pools.emplace(self->system(), *store);
  if (workers)
    st.pools->use_router(std::move(workers), st.cfg.workers);
  self->send(self, scan_atom_v);
  return {
      [self](progress_atom, actors::campaign_progress& p) { self->state.registry->set_progress(p); },
      [self](done_atom, actors::campaign_progress& p) { on_done(self, p); },
      [self](pause_atom, const std::string& name) { control(self, name, "pause"); },
      [self](resume_atom, const std::string& name) { control(self, name, "resume"); },
      [self](stop_atom, const std::string& name) { control(self, name, "stop"); },
      [self](stop_atom) { begin_shutdown(self); },
      [self](scan_atom) { scan(self); },
  };
}

}  // namespace

daemon_actor spawn_daemon(caf::actor_system& sys, const daemon_config& cfg, memory::store& store,
                          daemon_registry& registry, actors::worker_router_actor workers) {
  return sys.spawn(daemon_behavior, cfg, &store, &registry, std::move(workers));
}

}  // namespace kforge::runtime
