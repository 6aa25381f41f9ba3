#include "runtime/cli/commands.hpp"

#include "actors/curator/curator_actor.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/system_config.hpp"
#include "memory/store.hpp"
#include "runtime/api/progress_view.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/campaign_launch.hpp"
#include "runtime/campaign/campaign_setup.hpp"
#include "runtime/campaign/campaign_supervisor.hpp"
#include "runtime/campaign/owner_lock.hpp"
#include "runtime/campaign/workers_setup.hpp"
#include "runtime/cli/cli_io.hpp"
#include "runtime/cli/exit_codes.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>

namespace kforge::runtime {

namespace {

volatile std::sig_atomic_t interrupted = 0;

void on_signal(int) {
  interrupted = 1;
  // A second Ctrl-C kills at once; the store stays consistent (LMDB) and the campaign resumes.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int terminal_width() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 100;
}

// Draws the live table in place on a terminal, or a plain line every few seconds otherwise.
class progress_printer {
 public:
  explicit progress_printer(bool live) : live_(live && isatty(STDOUT_FILENO) == 1) {}

  void show(const actors::campaign_progress& p) {
    if (live_) {
      auto text = render_live(p, terminal_width());
      if (lines_ > 0)
        std::cout << "\x1b[" << lines_ << "F\x1b[J";
      std::cout << text << std::flush;
      lines_ = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
      return;
    }
    if (p.elapsed_ms - last_ms_ >= 5000 || last_ms_ < 0) {
      std::cout << render_line(p) << '\n' << std::flush;
      last_ms_ = p.elapsed_ms;
    }
  }

 private:
  bool live_;
  int lines_ = 0;
  double last_ms_ = -1;
};

// The exit code and message of a launch that failed at `step`.
int launch_failed(launch_step step, const caf::error& err) {
  if (step == launch_step::roofline) {
    std::cerr << "kforge: cannot obtain the machine peaks: " << describe(err) << '\n';
    return exit_code_of_error(err) == exit_store ? exit_store : exit_failure;
  }
  std::cerr << "kforge: " << describe(err) << '\n';
  if (step == launch_step::memory_import)
    return exit_code_of_error(err);
  return exit_code_of_error(err) == exit_store ? exit_store : exit_usage;
}

}  // namespace

int run_exit_code(const actors::campaign_progress& p, bool stopped_by_user) {
  if (p.status == "failed")
    return exit_failure;
  if (p.unreachable_since_ms != 0 || (p.status == "stopped" && stopped_by_user))
    return exit_interrupted;
  int64_t feasible = 0;
  for (const auto& t : p.tasks)
    feasible += t.feasible;
  if (feasible == 0 && !p.tasks.empty())
    return exit_nothing_achieved;
  return exit_ok;
}

namespace {

// The exit code of a run that ended with `p` (README, "Exit codes"), with a line saying why.
int exit_code_of(const actors::campaign_progress& p, bool stopped_by_user,
                 const std::filesystem::path& store) {
  if (p.status == "stopped")
    std::cout << "resume with: kforge resume --store " << store.string() << '\n';
  auto code = run_exit_code(p, stopped_by_user);
  if (code == exit_nothing_achieved)
    std::cout << "kforge: no task has a feasible candidate\n";
  return code;
}

int run_campaign(const campaign_config& cfg, const run_options& opts) {
  std::vector<std::string> left_out;
  auto tasks = load_campaign_tasks(cfg, &left_out);
  if (!tasks) {
    std::cerr << "kforge: " << describe(tasks.error()) << '\n';
    return exit_usage;
  }
  if (!left_out.empty())
    std::cout << "kforge: " << left_out_note(left_out, (*tasks)->size(), cfg.policy) << '\n';
  memory::env_options env_opts;
  env_opts.map_size_bytes = static_cast<size_t>(cfg.store_map_mib) * 1024 * 1024;
  auto store = memory::store::open(cfg.store_path, env_opts);
  if (!store) {
    std::cerr << "kforge: cannot open the store at " << cfg.store_path << ": " << describe(store.error())
              << '\n';
    return exit_store;
  }
  // One process runs a campaign at a time; the lock also tells `status` that this one is alive.
  auto owner = owner_lock::acquire(cfg.store_path, cfg.name);
  if (!owner) {
    std::cerr << "kforge: " << describe(owner.error()) << '\n';
    return exit_failure;
  }

  actors::campaign_progress final_progress;
  bool stopped_by_user = false;
  {
    actors::system_config sys_cfg{opts.threads};
    if (cfg.workers.enabled())
      load_network(sys_cfg, cfg.workers.tls);
    caf::actor_system sys{sys_cfg};
    // A campaign continued from a damaged store would skip what does not read: every record is
    // read first (the same pass builds the memory's indexes) and a damaged store is refused.
    auto memory_actors = spawn_memory(sys, *store, cfg);
    if (!memory_actors) {
      std::cerr << "kforge: " << describe(memory_actors.error()) << '\n';
      return exit_code_of_error(memory_actors.error()) == exit_store ? exit_store : exit_failure;
    }
    auto retriever = memory_actors->retriever;
    auto curator = memory_actors->curator;
    caf::scoped_actor self{sys};
    // Handles kept past this scope would keep the actors alive past the actor system.
    auto stop_memory = [&] {
      self->send_exit(retriever, caf::exit_reason::user_shutdown);
      self->send_exit(curator, caf::exit_reason::user_shutdown);
    };
    prepare_options popts;
    popts.remeasure_peaks = opts.measure_peaks;
    popts.make_backends = !cfg.workers.enabled() || cfg.workers.local;
    launch_step failed = launch_step::memory_import;
    auto prep = prepare_campaign(sys, *store, cfg, *tasks, curator, popts, failed);
    if (!prep) {
      stop_memory();
      return launch_failed(failed, prep.error());
    }
    if (!cfg.memory.from.empty())
      std::cout << "kforge: memory from " << cfg.memory.from.string() << ": " << prep->imported
                << " items imported\n";
    std::cout << "kforge: " << prep->roofline_note << '\n';
    std::cout << "kforge: campaign " << cfg.name << ", " << prep->tasks->size() << " tasks, store "
              << cfg.store_path.string() << '\n'
              << std::flush;
    interrupted = 0;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    actors::verifier_actor verifier;
    actors::worker_registry_actor registry;
    if (!prep->backends.empty())
      verifier = spawn_verifier_pools(sys, prep->backends, prep->tasks, cfg, *store, curator);
    if (cfg.workers.enabled()) {  // issue 16: remote workers, and this host's pool if [workers] local
      auto coord = start_coordinator(sys, cfg.workers, prep->tasks, verifier, cfg.verifier.device);
      if (!coord) {
        if (verifier)
          self->send(verifier, drain_atom_v);
        stop_memory();
        std::cerr << "kforge: " << describe(coord.error()) << '\n';
        return exit_code_of_error(coord.error()) == exit_store ? exit_store : exit_usage;
      }
      std::cout << "kforge: workers listen on " << listen_summary(cfg.workers, coord->port) << '\n'
                << std::flush;
      verifier = coord->router;
      registry = coord->registry;
    }
    auto launched =
        spawn_campaign(sys, std::move(*prep), {retriever, curator, verifier},
                       caf::actor_cast<progress_listener>(caf::actor{self}), std::chrono::milliseconds{500});
    auto supervisor = launched.supervisor;
    auto llm = launched.llm;
    progress_printer printer{opts.progress};
    bool done = false;
    bool& stop_sent = stopped_by_user;
    while (!done) {
      self->receive(
          [&](progress_atom, actors::campaign_progress& p) { printer.show(p); },
          [&](done_atom, actors::campaign_progress& p) {
            final_progress = std::move(p);
            done = true;
          },
          caf::after(std::chrono::milliseconds{200}) >>
              [&] {
                if (interrupted != 0 && !stop_sent) {
                  std::cerr << "\nkforge: stopping; finishing in-flight evaluations (Ctrl-C again to kill)\n";
                  self->send(supervisor, stop_atom_v);
                  stop_sent = true;
                }
              });
    }
    self->send(verifier, drain_atom_v);
    if (registry)
      self->send_exit(registry, caf::exit_reason::user_shutdown);
    self->send_exit(llm, caf::exit_reason::user_shutdown);
    stop_memory();
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::cout << render_summary(final_progress) << std::flush;
  return exit_code_of(final_progress, stopped_by_user, cfg.store_path);
}

}  // namespace

int run_command(const run_options& opts) {
  auto cfg = load_campaign_config(opts.config);
  if (!cfg) {
    std::cerr << "kforge: " << describe(cfg.error()) << '\n';
    return exit_usage;
  }
  if (opts.store)
    cfg->store_path = std::filesystem::absolute(*opts.store);
  if (opts.memory_from)
    cfg->memory.from = std::filesystem::absolute(*opts.memory_from);
  return run_campaign(*cfg, opts);
}

int resume_command(const run_options& opts) {
  if (!opts.store || !std::filesystem::exists(*opts.store / "data.mdb")) {
    std::cerr << "kforge: no store at " << (opts.store ? opts.store->string() : "?") << '\n';
    return exit_usage;
  }
  std::optional<memory::campaign_record> target;
  {
    int code = exit_ok;
    // Only the campaigns are read here; run_campaign checks every record before it starts.
    auto store = open_existing(*opts.store, code, record_check::later);
    if (!store)
      return code;
    auto tx = store->read();
    auto campaigns =
        tx ? memory::list_campaigns(*tx) : caf::expected<std::vector<memory::campaign_record>>{tx.error()};
    if (!campaigns) {  // the whole check names the damage and how to recover
      auto damage = check_records(*store);
      std::cerr << "kforge: " << describe(damage ? damage : campaigns.error()) << '\n';
      return exit_store;
    }
    std::vector<memory::campaign_record> open;
    std::vector<std::string> finished;
    for (auto& c : *campaigns) {
      if (!opts.campaign.empty() && c.id != opts.campaign)
        continue;
      if (c.status == "finished")
        finished.push_back(c.id);
      else
        open.push_back(std::move(c));
    }
    if (open.empty() && finished.empty()) {
      std::cerr << "kforge: "
                << (opts.campaign.empty() ? "the store holds no campaign"
                                          : "the store holds no campaign named " + opts.campaign)
                << " (" << opts.store->string() << ")\n";
      return exit_usage;
    }
    if (open.empty()) {
      // Like `run` of a finished campaign: nothing is left to do, and that is no error.
      std::cout << "kforge: nothing to resume: campaign" << (finished.size() > 1 ? "s" : "");
      for (const auto& id : finished)
        std::cout << ' ' << id;
      std::cout << (finished.size() > 1 ? " are" : " is") << " finished\n";
      return exit_ok;
    }
    if (open.size() > 1) {
      std::cerr << "kforge: several unfinished campaigns; name one with --campaign:";
      for (const auto& c : open)
        std::cerr << ' ' << c.id;
      std::cerr << '\n';
      return exit_usage;
    }
    target = std::move(open.front());
  }
  // The stored config, with relative paths resolved against where it was loaded from.
  auto cfg = parse_campaign_config(target->config_text, target->config_path);
  if (!cfg) {
    int code = exit_ok;  // a damaged store is named first, as every command names it
    if (!open_existing(*opts.store, code))
      return code;
    std::cerr << "kforge: the stored config no longer loads: " << describe(cfg.error()) << '\n';
    return exit_usage;
  }
  cfg->store_path = std::filesystem::absolute(*opts.store);
  return run_campaign(*cfg, opts);
}

}  // namespace kforge::runtime
