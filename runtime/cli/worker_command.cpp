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

#include <linux/close_range.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

namespace kforge::runtime {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_stop(int) {
  stop_requested = 1;
}

// Replaces this process with a fresh run of the same command line: a new actor system, new
// connections. CAF 0.17's TLS transport can leave a worker where no reconnect in the same
// process gets through: when another worker's TLS link to the coordinator drops, the
// coordinator may drop this worker's too, and afterwards the middleman keeps answering with
// the lost coordinator's registry, or a new connect never returns (remote_actor waits
// without a timeout). Descriptors are closed on exec; a work directory of our own is removed
// first, as the exit would (the new image makes it again).
[[noreturn]] void start_afresh(const worker_options& opts, const std::filesystem::path& work_dir,
                               const log::logger& log, const std::string& why) {
  if (opts.work_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(work_dir, ec);
  }
  if (stop_requested != 0)  // SIGTERM or SIGINT came while the connect hung: stop, as asked
    std::_Exit(exit_ok);
  log.warning("starting afresh", {{"why", why}, {"coordinator", opts.connect}});
  if (opts.argv.empty()) {  // errno would name some earlier failure, not this one
    log.error("no command line to start afresh with; exiting");
    std::_Exit(exit_failure);
  }
  std::vector<char*> argv;
  for (const auto& a : opts.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execv("/proc/self/exe", argv.data());
  log.error("cannot start afresh; exiting", {{"error", std::strerror(errno)}});
  std::_Exit(exit_failure);
}

// Starts the worker afresh unless disarmed within `limit`: the guard around a connect and
// join, which CAF may never answer.
class connect_watchdog {
 public:
  connect_watchdog(std::chrono::milliseconds limit, std::function<void()> on_stall)
      : thread_([this, limit, stall = std::move(on_stall)] {
          std::unique_lock<std::mutex> lock{mutex_};
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; }))
            stall();
        }) {}
  connect_watchdog(const connect_watchdog&) = delete;
  connect_watchdog& operator=(const connect_watchdog&) = delete;
  ~connect_watchdog() {
    {
      std::lock_guard<std::mutex> lock{mutex_};
      done_ = true;
    }
    done_cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;  // last: it starts once the members it reads exist
};

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

size_t remove_dead_worker_dirs(const std::filesystem::path& parent) {
  const std::string prefix = "kforge-worker-";
  size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it{parent, ec}, end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size() || name.size() > prefix.size() + 10 ||
        name.find_first_not_of("0123456789", prefix.size()) != std::string::npos)
      continue;
    auto pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    struct stat st {};
    if (pid <= 0 || pid == ::getpid() || ::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != ::geteuid())
      continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
      continue;  // alive (or not ours to ask about): it may be that worker's
    std::error_code rm;
    std::filesystem::remove_all(it->path(), rm);
    if (!rm)
      ++removed;
  }
  return removed;
}

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
  if (opts.work_dir.empty())
    if (auto n = remove_dead_worker_dirs(work_dir.parent_path()); n > 0)
      log.info("removed work directories of workers that are gone", {{"count", static_cast<int64_t>(n)}});
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
    auto last_call = std::make_shared<actors::last_call_clock>(actors::steady_ms());
    for (const auto& b : *backends) {
      auto pool = actors::spawn_verifier(sys, b, empty, vcfg);
      pools.push_back({pool, actors::spawn_remote_pool(sys, pool, empty, last_call), b->device()});
    }
    caf::scoped_actor self{sys};
    auto backoff = std::chrono::milliseconds{100};
    auto wait_backoff = [&backoff] {
      std::this_thread::sleep_for(backoff);  // the CLI's own thread, waiting for a peer to come up
      backoff = std::min(backoff * 2, std::chrono::milliseconds{5000});
    };
    bool announced = false;
    const std::chrono::milliseconds silence{opts.silence_ms};
    auto stalled = [&] { start_afresh(opts, work_dir, log, "no answer to the connect and join"); };
    while (stop_requested == 0) {
      join_result joined = join_result::unreachable;
      caf::optional<actors::worker_registry_actor> registry;
      {
        connect_watchdog guard{silence, stalled};
        auto found = opts.plaintext ? sys.middleman().remote_actor<actors::worker_registry_actor>(
                                          endpoint->first, endpoint->second)
                                    : caf::openssl::remote_actor<actors::worker_registry_actor>(
                                          sys, endpoint->first, endpoint->second);
        if (found) {
          registry = *found;
          joined = join_all(self, *registry, *secret, pools, slots, name, log);
        } else if (!announced) {
          log.warning("coordinator unreachable; retrying",
                      {{"coordinator", opts.connect}, {"error", sys.render(found.error())}});
        }
      }
      if (joined == join_result::refused) {
        code = exit_usage;
        break;
      }
      if (joined == join_result::unreachable) {
        announced = true;
        wait_backoff();
        continue;
      }
      log.info("serving", {{"coordinator", opts.connect}, {"pools", std::to_string(pools.size())}});
      self->monitor(*registry);
      last_call->store(actors::steady_ms());
      bool lost = false;
      bool silent = false;
      while (!lost && !silent && stop_requested == 0) {
        self->receive([&](const caf::down_msg&) { lost = true; },
                      caf::after(std::chrono::milliseconds{200}) >>
                          [&] { silent = actors::steady_ms() - last_call->load() > opts.silence_ms; });
      }
      // A new connection in this process may never get through (start_afresh says why): the
      // worker starts afresh and joins like a new one.
      if (lost) {
        log.warning("coordinator lost; reconnecting", {{"coordinator", opts.connect}});
        start_afresh(opts, work_dir, log, "coordinator lost");
      }
      if (silent)
        start_afresh(opts, work_dir, log,
                     "the coordinator has not called on this worker for " + std::to_string(opts.silence_ms) +
                         " ms (it dropped the worker without telling it)");
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
