// `kforge worker`: verifier pools of this host offered to a coordinator over caf::io (issue 16).

#include "runtime/cli/commands.hpp"

#include "actors/system_config.hpp"
#include "actors/verifier/remote_pool.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "actors/verifier/worker_registry.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/backends.hpp"
#include "runtime/campaign/campaign_setup.hpp"
#include "runtime/campaign/config.hpp"
#include "runtime/campaign/workers_setup.hpp"
#include "runtime/cli/exit_codes.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <thread>

namespace kforge::runtime {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_stop(int) {
  stop_requested = 1;
}

// The settings of the worker's pools: `config`'s [verifier], [cuda] and [kernelbench] when
// named, else the defaults; the device from the command line.
caf::expected<campaign_config> worker_settings(const worker_options& opts,
                                               const std::filesystem::path& work_dir) {
  campaign_config cfg;
  if (!opts.config.empty()) {
    auto loaded = load_campaign_config(opts.config);
    if (!loaded)
      return std::move(loaded.error());
    cfg = std::move(*loaded);
  } else {
    cfg.file = "--device";
  }
  cfg.store_path = work_dir / "no-store";  // a worker has no store; this only names a path to hide
  if (opts.config.empty())
    cfg.verifier.quiet_runs = opts.device == "cpu";  // the [verifier] default for the device
  cfg.verifier.device = opts.device;
  cfg.verifier.work_dir = work_dir.string();
  return cfg;
}

struct offered_pool {
  actors::verifier_actor pool;
  actors::remote_pool_actor front;
  std::string device;
};

enum class join_result { joined, unreachable, refused };

// Joins every pool to the registry: the two-step challenge on the secret for each.
join_result join_all(caf::scoped_actor& self, const actors::worker_registry_actor& registry,
                     const std::string& secret, const std::vector<offered_pool>& pools, int32_t slots,
                     const std::string& name, const log::logger& log) {
  for (const auto& p : pools) {
    auto mine = random_hex(16);
    join_result result = join_result::joined;
    self->request(registry, std::chrono::seconds{10}, join_atom_v, mine)
        .receive(
            [&](actors::join_challenge& c) {
              if (!equal_in_constant_time(c.proof, actors::join_answer(secret, "coordinator", mine))) {
                log.error(
                    "join refused: the coordinator's proof does not match this secret (wrong secret on one "
                    "side)",
                    {});
                result = join_result::refused;
                return;
              }
              actors::worker_offer offer;
              offer.nonce = c.nonce;
              offer.answer = actors::join_answer(secret, "worker", c.nonce);
              offer.worker = name;
              offer.device = p.device;
              offer.slots = slots;
              offer.pool = caf::actor_cast<caf::actor>(p.front);
              self->request(registry, std::chrono::seconds{10}, join_atom_v, std::move(offer))
                  .receive(
                      [&](int64_t id) {
                        log.info("joined", {{"dev", p.device}, {"pool", std::to_string(id)}});
                      },
                      [&](caf::error& err) {
                        result =
                            code_of(err) == errc::refused ? join_result::refused : join_result::unreachable;
                        log.error("join refused", {{"error", describe(err)}});
                      });
            },
            [&](caf::error& err) {
              result = join_result::unreachable;
              log.warning("join failed", {{"error", describe(err)}});
            });
    if (result != join_result::joined)
      return result;
  }
  return join_result::joined;
}

}  // namespace

int worker_command(const worker_options& opts) {
  log::logger log{"kforge.worker"};
  auto endpoint = parse_endpoint(opts.connect);
  if (!endpoint) {
    std::cerr << "kforge: --connect: " << describe(endpoint.error()) << '\n';
    return exit_usage;
  }
  auto secret = read_secret(opts.secret_file);
  if (!secret) {
    std::cerr << "kforge: --secret-file: " << describe(secret.error()) << '\n';
    return exit_usage;
  }
  auto work_dir = opts.work_dir.empty() ? std::filesystem::temp_directory_path() /
                                              ("kforge-worker-" + std::to_string(::getpid()))
                                        : opts.work_dir;
  auto cfg = worker_settings(opts, work_dir);
  if (!cfg) {
    std::cerr << "kforge: " << describe(cfg.error()) << '\n';
    return exit_usage;
  }
  auto backends = make_backends(*cfg, work_dir);
  if (!backends) {
    std::cerr << "kforge: --device " << opts.device << ": " << describe(backends.error()) << '\n';
    return exit_usage;
  }
  const int32_t slots = opts.slots > 0 ? opts.slots : 2;
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  auto name = opts.name.empty() ? std::string{host} + ":" + std::to_string(::getpid()) : opts.name;

  stop_requested = 0;
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  int code = exit_ok;
  {
    actors::system_config sys_cfg{opts.threads};
    load_network(sys_cfg, !opts.plaintext);
    caf::actor_system sys{sys_cfg};
    auto empty = std::make_shared<const kforge::task_map>();
    auto vcfg = verifier_config_of(*cfg);
    std::vector<offered_pool> pools;
    for (const auto& b : *backends) {
      auto pool = actors::spawn_verifier(sys, b, empty, vcfg);
      pools.push_back({pool, actors::spawn_remote_pool(sys, pool, empty), b->device()});
    }
    caf::scoped_actor self{sys};
    auto backoff = std::chrono::milliseconds{100};
    auto wait_backoff = [&backoff] {
      std::this_thread::sleep_for(backoff);  // the CLI's own thread, waiting for a peer to come up
      backoff = std::min(backoff * 2, std::chrono::milliseconds{5000});
    };
    bool announced = false;
    caf::actor_addr lost_registry;
    while (stop_requested == 0) {
      auto registry = opts.plaintext ? sys.middleman().remote_actor<actors::worker_registry_actor>(
                                           endpoint->first, endpoint->second)
                                     : caf::openssl::remote_actor<actors::worker_registry_actor>(
                                           sys, endpoint->first, endpoint->second);
      if (!registry) {
        if (!announced)
          log.warning("coordinator unreachable; retrying",
                      {{"coordinator", opts.connect}, {"error", sys.render(registry.error())}});
        announced = true;
        wait_backoff();
        continue;
      }
      // The middleman forgets a lost node a moment after we see it go: until then it answers with
      // the dead coordinator's registry, which would swallow the join.
      if (registry->address() == lost_registry) {
        wait_backoff();
        continue;
      }
      auto joined = join_all(self, *registry, *secret, pools, slots, name, log);
      if (joined == join_result::refused) {
        code = exit_usage;
        break;
      }
      if (joined == join_result::unreachable) {
        wait_backoff();
        continue;
      }
      announced = false;
      backoff = std::chrono::milliseconds{100};
      log.info("serving", {{"coordinator", opts.connect}, {"pools", std::to_string(pools.size())}});
      self->monitor(*registry);
      bool lost = false;
      while (!lost && stop_requested == 0) {
        self->receive([&](const caf::down_msg&) { lost = true; },
                      caf::after(std::chrono::milliseconds{200}) >> [] {});
      }
      if (lost) {
        log.warning("coordinator lost; reconnecting", {{"coordinator", opts.connect}});
        lost_registry = registry->address();
      }
    }
    for (const auto& p : pools) {
      self->send_exit(p.front, caf::exit_reason::user_shutdown);
      self->send(p.pool, drain_atom_v);
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (opts.work_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(work_dir, ec);
  }
  return code;
}

}  // namespace kforge::runtime
