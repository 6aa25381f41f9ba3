#include "runtime/daemon/daemon.hpp"
#include "hardware/tasks/task_loader.hpp"

#include "runtime/api/api_server.hpp"
#include "runtime/campaign/backends.hpp"
#include "runtime/campaign/campaign_setup.hpp"
#include "runtime/campaign/campaign_supervisor.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/machine_roofline.hpp"
#include "actors/system_config.hpp"

#include "actors/curator/curator_actor.hpp"
#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "actors/verifier/verifier_router.hpp"
#include "memory/store.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace kforge::runtime {

namespace {

volatile std::sig_atomic_t signalled = 0;

void on_signal(int) {
  signalled = 1;
  // A second signal kills at once; the store stays consistent and every campaign resumes.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// One verifier pool per device, shared by every campaign on that device.
struct device_pool {
  std::vector<std::shared_ptr<hardware::backend>> backends;  // one, or one per GPU
  std::shared_ptr<const kforge::task_map> tasks;           // union of the tasks of its campaigns
  actors::verifier_actor verifier;
  std::string settings_from;  // the campaign whose [verifier] settings built it
};

struct campaign_entry {
  campaign_config cfg;
  std::string file;  // empty: resumed from the store's copy of the config
  std::string hash;  // of the config text it runs with
  std::optional<supervisor_actor> supervisor;
  std::optional<actors::llm_proxy_actor> llm;
  std::optional<campaign_config> next;  // a changed file: run this once the stop has committed
  bool start_after_stop = false;        // resume of a stopped campaign arrived while it was stopping
};

struct watched_file {
  std::string hash;
  std::string name;  // empty when it does not load
  std::filesystem::file_time_type mtime{};
  std::uintmax_t size = 0;
};

class daemon_loop {
 public:
  daemon_loop(const daemon_config& cfg, memory::store& store, caf::actor_system& sys, caf::scoped_actor& self,
              daemon_registry& registry)
      : cfg_(cfg), store_(store), sys_(sys), self_(self), registry_(registry) {}

  void run() {
    poll_files();
    resume_stored();
    auto last_poll = std::chrono::steady_clock::now();
    const auto poll_every = std::chrono::milliseconds{cfg_.poll_ms};
    while (true) {
      self_->receive([&](progress_atom, actors::campaign_progress& p) { registry_.set_progress(p); },
                     [&](done_atom, actors::campaign_progress& p) { on_done(p); },
                     [&](pause_atom, std::string& name) { control(name, "pause"); },
                     [&](resume_atom, std::string& name) { control(name, "resume"); },
                     [&](stop_atom, std::string& name) { control(name, "stop"); },
                     caf::after(std::chrono::milliseconds{200}) >> [] {});
      if (signalled != 0 && !shutting_down_)
        begin_shutdown();
      if (shutting_down_) {
        if (live_supervisors() == 0)
          break;
        continue;
      }
      if (std::chrono::steady_clock::now() - last_poll >= poll_every) {
        poll_files();
        last_poll = std::chrono::steady_clock::now();
      }
    }
    shut_down_actors();
  }

 private:
  size_t live_supervisors() const {
    size_t n = 0;
    for (const auto& [name, e] : entries_)
      n += e.supervisor ? size_t{1} : size_t{0};
    return n;
  }

  void publish_info() {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& [path, w] : files_)
      files.push_back({{"file", path}, {"campaign", w.name}, {"hash", w.hash}});
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& [path, msg] : errors_)
      errors.push_back({{"file", path}, {"message", msg}});
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& [dev, pool] : pools_)
      devices.push_back(
          {{"device", dev}, {"settings_from", pool.settings_from}, {"tasks", pool.tasks->size()}});
    nlohmann::json info = {{"store", cfg_.store.string()},
                           {"campaigns_path", cfg_.campaigns.string()},
                           {"listen", cfg_.listen},
                           {"started_ms", started_ms_},
                           {"shutting_down", shutting_down_},
                           {"files", files},
                           {"errors", errors},
                           {"pools", devices}};
    registry_.set_info(info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  std::vector<std::filesystem::path> campaign_files() const {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (std::filesystem::is_regular_file(cfg_.campaigns, ec)) {
      out.push_back(cfg_.campaigns);
      return out;
    }
    for (std::filesystem::directory_iterator it{cfg_.campaigns, ec}, end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".toml" && it->is_regular_file(ec))
        out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
  }

  // Records why a file does not run, shows it in /api/daemon, then logs it (in that order, so a
  // reader of the log finds it in the API).
  void file_error(const std::string& file, const std::string& message, const char* what) {
    errors_[file] = message;
    publish_info();
    log_.error(what, {{"file", file}, {"error", message}});
  }

  void poll_files() {
    auto files = campaign_files();
    std::set<std::string> present;
    for (const auto& path : files) {
      auto key = path.string();
      present.insert(key);
      // Only a file whose mtime or size moved is read and hashed again.
      std::error_code ec;
      auto mtime = std::filesystem::last_write_time(path, ec);
      auto size = std::filesystem::file_size(path, ec);
      if (ec)
        continue;
      if (auto w = files_.find(key); w != files_.end() && w->second.mtime == mtime && w->second.size == size)
        continue;
      auto text = read_file(path);
      if (!text)
        continue;  // vanished or unreadable between listing and reading: next poll
      auto hash = sha256_hex(*text);
      auto known = files_.find(key);
      if (known != files_.end() && known->second.hash == hash) {
        known->second.mtime = mtime;
        known->second.size = size;
        continue;
      }
      files_[key] = {hash, "", mtime, size};
      errors_.erase(key);
      auto cfg = parse_campaign_config(*text, path);
      if (!cfg) {
        file_error(key, describe(cfg.error()), "campaign file does not load; nothing changed");
        continue;
      }
      cfg->store_path = cfg_.store;
      auto name = cfg->name;
      bool claimed = false;
      for (const auto& [other, w] : files_)
        if (other != key && w.name == name)
          claimed = true;
      if (claimed) {
        file_error(key, "campaign '" + name + "' is already defined by another file",
                   "two files define one campaign; this one is ignored");
        continue;
      }
      files_[key].name = name;
      on_config(std::move(*cfg), key, hash);
    }
    for (auto it = files_.begin(); it != files_.end();) {
      if (present.count(it->first) == 0) {
        log_.info("campaign file removed; its campaign is left as it is", {{"file", it->first}});
        errors_.erase(it->first);
        it = files_.erase(it);
      } else {
        ++it;
      }
    }
    publish_info();
  }

  void on_config(campaign_config cfg, const std::string& file, const std::string& hash) {
    auto it = entries_.find(cfg.name);
    if (it != entries_.end() && it->second.supervisor) {
      if (it->second.hash == hash)
        return;
      log_.info("campaign file changed; restarting the campaign with it",
                {{"campaign", cfg.name}, {"file", file}});
      it->second.next = std::move(cfg);
      it->second.file = file;
      self_->send(*it->second.supervisor, stop_atom_v);
      registry_.set_state(it->first, "stopping", file, "restarting with the changed file");
      return;
    }
    start_campaign(std::move(cfg), file, hash);
  }

  // Every unfinished campaign of the store that no file names, from its stored config.
  void resume_stored() {
    auto tx = store_.read();
    auto list =
        tx ? memory::list_campaigns(*tx) : caf::expected<std::vector<memory::campaign_record>>{tx.error()};
    if (!list) {
      log_.error("cannot list the store's campaigns", {{"error", describe(list.error())}});
      return;
    }
    tx = caf::error{};
    for (const auto& c : *list) {
      if (c.status == "finished" || entries_.count(c.id) > 0)
        continue;
      auto cfg = parse_campaign_config(c.config_text, c.config_path);
      if (!cfg) {
        registry_.set_state(c.id, "invalid", "",
                            "the stored config no longer loads: " + describe(cfg.error()));
        continue;
      }
      cfg->store_path = cfg_.store;
      log_.info("resuming campaign from the store", {{"campaign", c.id}});
      start_campaign(std::move(*cfg), "", sha256_hex(c.config_text));
    }
  }

  // The pool of the config's device, created with its settings or grown by its tasks.
  caf::expected<actors::verifier_actor> pool_for(const campaign_config& cfg,
                                                 const kforge::task_map& tasks) {
    const auto& dev = cfg.verifier.device;
    auto it = pools_.find(dev);
    if (it == pools_.end()) {
      auto work_dir =
          cfg.verifier.work_dir.empty() ? cfg_.store / "work" : std::filesystem::path{cfg.verifier.work_dir};
      auto backends = make_backends(cfg, work_dir);  // one per GPU with device "cuda:all"
      if (!backends)
        return backends.error();
      device_pool pool;
      pool.backends = std::move(*backends);
      pool.tasks = std::make_shared<const kforge::task_map>(tasks);
      pool.settings_from = cfg.name;
      auto vcfg = verifier_config_of(cfg);
      // Several pools (one per GPU) sit behind a router that deals out the tasks.
      std::vector<actors::verifier_actor> pools;
      for (const auto& b : pool.backends)
        pools.push_back(actors::spawn_verifier(sys_, b, pool.tasks, vcfg, &store_));
      pool.verifier =
          pools.size() == 1 ? pools.front() : actors::spawn_verifier_router(sys_, pools, pool.tasks);
      log_.info("verifier pool started", {{"dev", dev}, {"settings_from", cfg.name}});
      auto h = pool.verifier;
      pools_.emplace(dev, std::move(pool));
      return h;
    }
    auto& pool = it->second;
    auto merged = std::make_shared<kforge::task_map>(*pool.tasks);
    bool grown = false;
    for (const auto& [id, def] : tasks) {
      auto have = merged->find(id);
      if (have == merged->end()) {
        merged->emplace(id, def);
        grown = true;
      } else if (have->second.definition_hash != def.definition_hash) {
        return make_error(errc::bad_config,
                          cfg.file.string() + ": task '" + id +
                              "' differs from the task of that name another campaign runs on " + dev);
      }
    }
    if (grown) {
      pool.tasks = merged;
      self_->send(pool.verifier, load_atom_v, std::shared_ptr<const kforge::task_map>{merged});
    }
    return pool.verifier;
  }

  void ensure_shared(const campaign_config& cfg) {
    if (retriever_)
      return;
    retriever_ = actors::spawn_retriever(sys_, store_, ranking_of(cfg));
    curator_ = actors::spawn_curator(sys_, store_, *retriever_, curator_config_of(cfg), true);
    log_.info("memory shared by all campaigns", {{"settings_from", cfg.name}});
  }

  void start_campaign(campaign_config cfg, const std::string& file, const std::string& hash) {
    auto name = cfg.name;
    auto fail = [&](const caf::error& err) {
      registry_.set_state(name, "invalid", file, describe(err));
      if (!file.empty())
        file_error(file, describe(err), "cannot start campaign");
      else
        log_.error("cannot start campaign", {{"campaign", name}, {"error", describe(err)}});
    };
    auto task_list = hardware::load_tasks(cfg.file.parent_path(), cfg.tasks);
    if (!task_list) {
      fail(task_list.error());
      return;
    }
    auto tasks = std::make_shared<kforge::task_map>();
    for (auto& t : *task_list) {
      auto id = t.id;
      tasks->emplace(std::move(id), std::move(t));
    }
    auto lcfg = llm_proxy_config_of(cfg, store_);
    if (!lcfg) {
      fail(lcfg.error());
      return;
    }
    // Warm from another store's memory (once per source), and the roofline of the campaign's device
    // (measured once, then cached in the store). Both write the store outside the curator: LMDB
    // serialises them with the curator's commits.
    if (!cfg.memory.from.empty()) {
      auto imported = import_memory(store_, cfg.memory.from);
      if (!imported) {
        fail(imported.error());
        return;
      }
      log_.info("memory imported",
                {{"campaign", name}, {"from", cfg.memory.from.string()}, {"items", *imported}});
    }
    std::string roof_note;
    auto roofline = prepare_roofline(store_, cfg, false, roof_note);
    if (!roofline) {
      fail(roofline.error());
      return;
    }
    log_.info("roofline", {{"campaign", name}, {"note", roof_note}});
    auto verifier = pool_for(cfg, *tasks);
    if (!verifier) {
      fail(verifier.error());
      return;
    }
    ensure_shared(cfg);
    lcfg->curator = *curator_;
    auto llm = actors::spawn_llm_proxy(sys_, tasks, *lcfg);
    auto& e = entries_[name];
    e.cfg = cfg;
    e.file = file;
    e.hash = hash;
    e.next.reset();
    e.start_after_stop = false;
    e.llm = llm;
    supervisor_setup setup{std::move(cfg),
                           tasks,
                           *retriever_,
                           llm,
                           *verifier,
                           *curator_,
                           caf::actor_cast<progress_listener>(caf::actor{self_}),
                           std::chrono::milliseconds{cfg_.tick_ms},
                           *roofline};
    e.supervisor = spawn_supervisor(sys_, std::move(setup));
    registry_.set_state(name, "running", file, "");
    log_.info("campaign started", {{"campaign", name}, {"file", file.empty() ? "(store)" : file}});
  }

  void on_done(actors::campaign_progress& p) {
    registry_.set_progress(p);
    auto it = entries_.find(p.campaign);
    if (it == entries_.end())
      return;
    auto& e = it->second;
    e.supervisor.reset();
    if (e.llm)
      self_->send_exit(*e.llm, caf::exit_reason::user_shutdown);
    e.llm.reset();
    registry_.set_state(p.campaign, p.status, e.file, p.note);
    log_.info("campaign ended",
              {{"campaign", p.campaign}, {"status", p.status}, {"evaluations", p.evaluations}});
    if (shutting_down_)
      return;
    if (e.next) {
      auto cfg = std::move(*e.next);
      auto hash = sha256_hex(cfg.text);
      auto file = e.file;
      start_campaign(std::move(cfg), file, hash);
    } else if (e.start_after_stop && p.status == "stopped") {
      start_campaign(e.cfg, e.file, e.hash);
    }
  }

  void control(const std::string& name, const std::string& action) {
    if (shutting_down_)
      return;  // every campaign is being stopped; the API already answers 409
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      // Known only to the store (stopped before this daemon started): resume starts it.
      if (action == "resume")
        resume_from_store(name);
      return;
    }
    auto& e = it->second;
    if (e.supervisor) {
      if (action == "pause")
        self_->send(*e.supervisor, pause_atom_v);
      else if (action == "resume")
        self_->send(*e.supervisor, resume_atom_v);
      else if (action == "stop")
        self_->send(*e.supervisor, stop_atom_v);
      if (action == "resume" && registry_.state_of(name) == "stopping")
        e.start_after_stop = true;
      log_.info("campaign control", {{"campaign", name}, {"action", action}});
      return;
    }
    if (action == "resume")
      start_campaign(e.cfg, e.file, e.hash);
  }

  void resume_from_store(const std::string& name) {
    auto tx = store_.read();
    if (!tx)
      return;
    auto c = memory::get_campaign(*tx, name);
    tx = caf::error{};
    if (!c || c->status == "finished")
      return;
    auto cfg = parse_campaign_config(c->config_text, c->config_path);
    if (!cfg) {
      registry_.set_state(name, "invalid", "", describe(cfg.error()));
      return;
    }
    cfg->store_path = cfg_.store;
    start_campaign(std::move(*cfg), "", sha256_hex(c->config_text));
  }

  void begin_shutdown() {
    shutting_down_ = true;
    registry_.set_shutting_down();
    log_.info("stopping: finishing in-flight evaluations of every campaign", {{"live", live_supervisors()}});
    std::cout << "kforge daemon: stopping; finishing in-flight evaluations\n" << std::flush;
    for (auto& [name, e] : entries_) {
      if (!e.supervisor)
        continue;
      self_->send(*e.supervisor, stop_atom_v);
      registry_.set_state(name, "stopping", e.file, "the daemon is stopping");
    }
    publish_info();
  }

  void shut_down_actors() {
    for (auto& [dev, pool] : pools_)
      self_->send(pool.verifier, drain_atom_v);
    for (auto& [name, e] : entries_)
      if (e.llm)
        self_->send_exit(*e.llm, caf::exit_reason::user_shutdown);
    if (retriever_)
      self_->send_exit(*retriever_, caf::exit_reason::user_shutdown);
    if (curator_)
      self_->send_exit(*curator_, caf::exit_reason::user_shutdown);
  }

  const daemon_config& cfg_;
  memory::store& store_;
  caf::actor_system& sys_;
  caf::scoped_actor& self_;
  daemon_registry& registry_;
  std::map<std::string, campaign_entry> entries_;
  std::map<std::string, watched_file> files_;
  std::map<std::string, std::string> errors_;  // file -> why it does not run
  std::map<std::string, device_pool> pools_;
  std::optional<actors::retriever_actor> retriever_;
  std::optional<actors::curator_actor> curator_;
  bool shutting_down_ = false;
  int64_t started_ms_ = now_ms();
  log::logger log_{"kforge.daemon"};
};

}  // namespace

std::string next_state(const std::string& state, const std::string& action) {
  if (action == "pause")
    return state == "running" || state == "paused" ? "paused" : "";
  if (action == "resume") {
    if (state == "paused" || state == "running")
      return "running";
    if (state == "stopped" || state == "stopping")
      return "starting";
    return "";
  }
  if (action == "stop") {
    if (state == "running" || state == "paused" || state == "starting" || state == "stopping")
      return "stopping";
    if (state == "stopped")
      return "stopped";
    return "";
  }
  return "";
}

std::vector<live_campaign> daemon_registry::live_campaigns() const {
  std::lock_guard<std::mutex> lock{mu_};
  std::vector<live_campaign> out;
  for (const auto& [name, c] : campaigns_)
    out.push_back(c);
  return out;
}

std::vector<actors::verifier_stats> daemon_registry::devices() const {
  std::lock_guard<std::mutex> lock{mu_};
  std::vector<actors::verifier_stats> out;
  for (const auto& [dev, s] : devices_)
    out.push_back(s);
  return out;
}

caf::expected<std::string> daemon_registry::control(const std::string& campaign, const std::string& action) {
  std::lock_guard<std::mutex> lock{mu_};
  if (shutting_down_)
    return make_error(errc::bad_request, "the daemon is stopping; campaigns cannot be controlled now");
  auto it = campaigns_.find(campaign);
  if (it == campaigns_.end())
    return make_error(errc::not_found, "the daemon runs no campaign named '" + campaign + "'");
  auto next = next_state(it->second.state, action);
  if (next.empty())
    return make_error(errc::bad_request,
                      "cannot " + action + " campaign '" + campaign + "' while it is " + it->second.state);
  if (action == "pause")
    caf::anon_send(loop_, pause_atom_v, campaign);
  else if (action == "resume")
    caf::anon_send(loop_, resume_atom_v, campaign);
  else
    caf::anon_send(loop_, stop_atom_v, campaign);
  it->second.state = next;
  if (next == "paused" || next == "running")
    pending_[campaign] = next;
  return next;
}

std::string daemon_registry::daemon_info() const {
  std::lock_guard<std::mutex> lock{mu_};
  return info_;
}

void daemon_registry::set_state(const std::string& name, const std::string& state, const std::string& file,
                                const std::string& note) {
  std::lock_guard<std::mutex> lock{mu_};
  auto& c = campaigns_[name];
  c.name = name;
  c.state = state;
  c.file = file;
  c.note = note;
}

void daemon_registry::set_progress(const actors::campaign_progress& p) {
  std::lock_guard<std::mutex> lock{mu_};
  auto& c = campaigns_[p.campaign];
  c.name = p.campaign;
  c.progress = p;
  c.has_progress = true;
  if (!p.verifier.device.empty())
    devices_[p.verifier.device] = p.verifier;
  // A snapshot taken before a pause or resume was handled must not undo the state it asked for.
  auto pending = pending_.find(p.campaign);
  bool terminal = p.status == "finished" || p.status == "stopped" || p.status == "failed";
  if (pending != pending_.end() && (pending->second == p.status || terminal))
    pending_.erase(pending);
  else if (pending != pending_.end())
    return;
  if (c.state != "stopping" && c.state != "starting")
    c.state = p.status;
  if (!p.note.empty())
    c.note = p.note;
}

std::string daemon_registry::state_of(const std::string& name) const {
  std::lock_guard<std::mutex> lock{mu_};
  auto it = campaigns_.find(name);
  return it == campaigns_.end() ? std::string{} : it->second.state;
}

void daemon_registry::set_shutting_down() {
  std::lock_guard<std::mutex> lock{mu_};
  shutting_down_ = true;
}

void daemon_registry::set_info(std::string json) {
  std::lock_guard<std::mutex> lock{mu_};
  info_ = std::move(json);
}

int run_daemon(const daemon_config& cfg) {
  log::logger lg{"kforge.daemon"};
  std::error_code ec;
  if (!std::filesystem::exists(cfg.campaigns, ec)) {
    std::cerr << "kforge: no campaign file or directory at " << cfg.campaigns.string() << '\n';
    return 2;
  }
  memory::env_options env_opts;
  env_opts.map_size_bytes = static_cast<size_t>(cfg.store_map_mib) * 1024 * 1024;
  auto store = memory::store::open(cfg.store, env_opts);
  if (!store) {
    std::cerr << "kforge: cannot open the store at " << cfg.store.string() << ": " << describe(store.error())
              << '\n';
    return 1;
  }
  signalled = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  int rc = 0;
  {
    actors::system_config sys_cfg{static_cast<size_t>(cfg.threads)};
    caf::actor_system sys{sys_cfg};
    caf::scoped_actor self{sys};
    daemon_registry registry{caf::actor{self}};
    api_settings settings{cfg.token, cfg.static_dir, cfg.snapshot_dir};
    api_server_options sopts;
    sopts.address = cfg.listen;
    sopts.port = static_cast<uint16_t>(cfg.port);
    sopts.max_body_bytes = static_cast<size_t>(cfg.max_body_bytes);
    sopts.timeout = std::chrono::seconds{cfg.request_timeout_s};
    sopts.max_connections = static_cast<size_t>(cfg.max_connections);
    const memory::store& reader = *store;
    auto server = api_server::start(sopts, [&reader, &registry, settings](const api_request& req) {
      return handle_request(req, reader, registry, settings);
    });
    if (!server) {
      std::cerr << "kforge: " << describe(server.error()) << '\n';
      rc = 1;
    } else {
      auto port = (*server)->port();
      if (!cfg.port_file.empty()) {
        std::ofstream pf{cfg.port_file};
        pf << port << '\n';
      }
      std::cout << "kforge daemon: store " << cfg.store.string() << ", campaigns " << cfg.campaigns.string()
                << ", API on http://" << cfg.listen << ":" << port << "/"
                << (cfg.token.empty() ? "" : " (token)") << '\n'
                << std::flush;
      lg.info("daemon started", {{"store", cfg.store.string()}, {"port", port}});
      daemon_loop loop{cfg, *store, sys, self, registry};
      loop.run();
      (*server)->stop();
      std::cout << "kforge daemon: stopped; every campaign is committed\n" << std::flush;
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return rc;
}

}  // namespace kforge::runtime
