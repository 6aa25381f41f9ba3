#include "runtime/daemon/daemon.hpp"

#include "actors/system_config.hpp"
#include "memory/store.hpp"
#include "memory/store_check.hpp"
#include "runtime/api/api_server.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/workers_setup.hpp"
#include "runtime/daemon/daemon_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>

namespace kforge::runtime {

namespace {

// The write end of the pipe the main thread waits on: 's' for a signal, 'x' when the daemon
// actor has quit normally, 'f' when it failed. A signal handler may only write, so the pipe is
// how it wakes the main thread.
volatile std::sig_atomic_t wake_fd = -1;

void wake(char c) {
  auto fd = static_cast<int>(wake_fd);
  if (fd >= 0) [[maybe_unused]]
    auto n = ::write(fd, &c, 1);
}

void on_signal(int) {
  int saved = errno;
  // A second signal kills at once; the store stays consistent and every campaign resumes.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  wake('s');
  errno = saved;
}

// The next byte of the pipe; blocks.
char wait_for(int fd) {
  char c = 0;
  for (;;) {
    auto n = ::read(fd, &c, 1);
    if (n == 1)
      return c;
    if (n < 0 && errno == EINTR)
      continue;
    return 'f';  // the pipe broke: nothing more will come
  }
}

}  // namespace

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
    return 5;  // a store error (README, "Exit codes"; runtime/cli/exit_codes.hpp)
  }
  // Campaigns continued from a damaged store would skip what does not read: refuse it. The
  // writable open refused a short file, so the references' pages cannot fault (skip them).
  if (auto err = [&]() -> caf::error {
        auto tx = store->read();
        return tx ? memory::check_records(*tx, memory::reference_pages::skip) : std::move(tx.error());
      }()) {
    std::cerr << "kforge: " << describe(err) << '\n';
    return 5;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::cerr << "kforge: cannot make a pipe: " << std::strerror(errno) << '\n';
    return 1;
  }
  wake_fd = fds[1];
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  int rc = 0;
  {
    actors::system_config sys_cfg{static_cast<size_t>(cfg.threads)};
    if (cfg.workers.enabled())
      load_network(sys_cfg, cfg.workers.tls);
    caf::actor_system sys{sys_cfg};
    // Remote workers (issue 16) join the daemon and verify for every campaign it runs; campaigns
    // add their tasks to the router as they start (device_pools).
    std::optional<coordinator> workers;
    if (cfg.workers.enabled()) {
      auto coord = start_coordinator(sys, cfg.workers, std::make_shared<const kforge::task_map>());
      if (!coord) {
        std::cerr << "kforge: [workers]: " << describe(coord.error()) << '\n';
        rc = code_of(coord.error()) == errc::io_failed ? 1 : 2;
      } else {
        workers = std::move(*coord);
        std::cout << "kforge daemon: workers listen on " << listen_summary(cfg.workers, workers->port) << '\n'
                  << std::flush;
      }
    }
    daemon_registry registry{caf::actor{}};
    api_settings settings{cfg.token, cfg.static_dir, cfg.snapshot_dir, cfg.stall_minutes};
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
    if (rc != 0) {
      if (server)
        (*server)->stop();
    } else if (!server) {
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
      auto daemon =
          spawn_daemon(sys, cfg, *store, registry, workers ? workers->router : actors::worker_router_actor{});
      registry.set_daemon(caf::actor_cast<caf::actor>(daemon));
      daemon->attach_functor(
          [](const caf::error& reason) { wake(!reason || reason == caf::exit_reason::normal ? 'x' : 'f'); });
      auto woke = wait_for(fds[0]);
      if (woke == 's') {
        std::cout << "kforge daemon: stopping; finishing in-flight evaluations\n" << std::flush;
        caf::anon_send(daemon, stop_atom_v);
        // Until the actor has quit; a second signal kills the process before that (SIG_DFL).
        do {
          woke = wait_for(fds[0]);
        } while (woke == 's');
      }
      (*server)->stop();
      if (workers)  // the workers see the daemon gone and reconnect until it is back
        caf::anon_send_exit(workers->registry, caf::exit_reason::user_shutdown);
      if (woke == 'f') {
        lg.error("the daemon actor failed; committed work is kept and resumes on restart");
        rc = 1;
      } else {
        std::cout << "kforge daemon: stopped; every campaign is committed\n" << std::flush;
      }
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  wake_fd = -1;
  ::close(fds[0]);
  ::close(fds[1]);
  return rc;
}

}  // namespace kforge::runtime
