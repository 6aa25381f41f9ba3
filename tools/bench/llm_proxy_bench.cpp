// Benchmark of the LLM proxy's openai backend against the in-process
// mock server: N proposal calls sent at once through one proxy actor, then the
// same calls one at a time. Reports throughput and the proxy's overhead per
// call: latency seen by the caller minus the mock's configured service time.
// Prints Markdown on stdout. Usage: see --help.

#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/system_config.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/log.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>
#include <tuple>

using namespace kforge;

namespace {

using clock_type = std::chrono::steady_clock;

struct run_result {
  std::vector<double> latency_ms;  // per call, as the caller saw it
  double wall_s = 0;
  int64_t failed = 0;
  int64_t kernels = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

// Sends `count` propose calls, at most `window` in flight, and collects their latencies.
// A collector actor does the sending; the caller waits for its done message.
run_result run(caf::actor_system& sys, actors::llm_proxy_actor proxy,
               const std::vector<std::string>& task_ids, int count, int window, uint64_t seed_base) {
  struct progress {
    run_result out;
    int sent = 0;
    int done = 0;
    clock_type::time_point t0;
  };
  auto shared = std::make_shared<progress>();
  caf::scoped_actor waiter{sys};
  caf::actor waiter_handle = waiter;
  sys.spawn([=](caf::event_based_actor* self) {
    std::shared_ptr<std::function<void()>> fire = std::make_shared<std::function<void()>>();
    *fire = [=] {
      auto i = shared->sent++;
      actors::policy_request req;
      req.campaign = "bench";
      req.task_id = task_ids[static_cast<std::size_t>(i) % task_ids.size()];
      req.stage = "draft";
      req.k = 1;
      req.seed = seed_base + static_cast<uint64_t>(i);
      auto start = clock_type::now();
      auto finish_one = [=] {
        ++shared->done;
        if (shared->sent < count)
          (*fire)();
        if (shared->done == count) {
          shared->out.wall_s = std::chrono::duration<double>(clock_type::now() - shared->t0).count();
          self->send(waiter_handle, done_atom_v);
          fire->operator=(nullptr);  // break the self-reference
          self->quit();
        }
      };
      self->request(proxy, caf::infinite, propose_atom_v, std::move(req))
          .then(
              [=](actors::policy_reply& r) {
                shared->out.latency_ms.push_back(
                    std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
                shared->out.kernels += static_cast<int64_t>(r.proposals.size());
                finish_one();
              },
              [=](caf::error&) {
                ++shared->out.failed;
                finish_one();
              });
    };
    shared->t0 = clock_type::now();
    while (shared->sent < std::min(window, count))
      (*fire)();
  });
  waiter->receive([](done_atom) {});
  return shared->out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"LLM proxy benchmark: the openai backend against the in-process mock server"};
  int requests = 1000;
  double service_ms = 20;
  int sequential = 200;
  int mock_threads = 1;
  size_t caf_threads = 0;
  std::string tasks_glob = "configs/tasks/cpu/*.toml";
  std::string prompts = "configs/prompts";
  app.add_option("--requests", requests, "calls sent at once (all in flight together)");
  app.add_option("--sequential", sequential, "calls sent one at a time (per-call overhead)");
  app.add_option("--service-ms", service_ms, "mock service time per call (simulated model time)");
  app.add_option("--mock-threads", mock_threads, "io threads of the mock server");
  app.add_option("--threads", caf_threads, "CAF scheduler threads (0 = default)");
  app.add_option("--tasks", tasks_glob, "task files (glob, relative to the working directory)");
  app.add_option("--prompts", prompts, "prompt templates directory");
  CLI11_PARSE(app, argc, argv);
  log::set_level(log::level::warning);

  auto loaded = hardware::load_tasks(std::filesystem::current_path(), {tasks_glob});
  if (!loaded) {
    std::cerr << describe(loaded.error()) << '\n';
    return 1;
  }
  auto tasks = std::make_shared<kforge::task_map>();
  std::vector<std::string> ids;
  for (auto& t : *loaded) {
    ids.push_back(t.id);
    auto id = t.id;
    tasks->emplace(std::move(id), std::move(t));
  }
  mock::server_config mcfg;
  mcfg.service_ms = service_ms;
  mcfg.threads = mock_threads;
  auto srv = mock::server::start(*tasks, mcfg);
  if (!srv) {
    std::cerr << describe(srv.error()) << '\n';
    return 1;
  }
  auto builder = actors::prompt_builder::load(prompts);
  if (!builder) {
    std::cerr << describe(builder.error()) << '\n';
    return 1;
  }
  actors::llm_proxy_config pcfg;
  pcfg.policy = "openai";
  pcfg.campaign = "bench";
  pcfg.prompts = std::make_shared<const actors::prompt_builder>(std::move(*builder));
  pcfg.llm.cache = false;
  actors::endpoint_config ep;
  ep.name = "mock";
  ep.base_url = "http://127.0.0.1:" + std::to_string((*srv)->port()) + "/v1";
  ep.model = "mock-coder";
  ep.max_concurrent = requests;
  ep.max_tokens = 1024;
  ep.timeout_ms = 60000;
  pcfg.llm.endpoints = {ep};

  actors::system_config sys_cfg{caf_threads};
  caf::actor_system sys{sys_cfg};
  auto proxy = actors::spawn_llm_proxy(sys, tasks, pcfg);
  auto s0 = (*srv)->stats();
  auto burst = run(sys, proxy, ids, requests, requests, 1);
  auto s1 = (*srv)->stats();
  auto seq = run(sys, proxy, ids, sequential, 1, 1000000);
  auto s2 = (*srv)->stats();
  // The mock's own time per answer (request read -> response written), per run.
  double served_burst =
      (s1.service_ms - s0.service_ms) / std::max<double>(1, static_cast<double>(s1.answered - s0.answered));
  double served_seq =
      (s2.service_ms - s1.service_ms) / std::max<double>(1, static_cast<double>(s2.answered - s1.answered));
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);

  std::cout
      << "# LLM proxy benchmark\n\n"
      << "Mock service time " << fixed(service_ms, 1) << " ms per call, mock io threads " << mock_threads
      << ", CAF threads " << sys.scheduler().num_workers() << ", " << ids.size() << " tasks' prompts.\n\n"
      << "| run | calls | failed | wall s | calls/s | p50 ms | p90 ms | p99 ms | max ms | mock ms/call | "
         "overhead ms/call |\n"
      << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (auto [name, r, served] :
       {std::tuple<const char*, const run_result*, double>{"all at once", &burst, served_burst},
        std::tuple<const char*, const run_result*, double>{"one at a time", &seq, served_seq}}) {
    double mean = 0;
    for (auto l : r->latency_ms)
      mean += l;
    mean /= std::max<double>(1, static_cast<double>(r->latency_ms.size()));
    auto n = static_cast<double>(r->latency_ms.size() + static_cast<std::size_t>(r->failed));
    std::cout << "| " << name << " | " << static_cast<int64_t>(n) << " | " << r->failed << " | "
              << fixed(r->wall_s, 2) << " | " << fixed(n / std::max(1e-9, r->wall_s), 0) << " | "
              << fixed(percentile(r->latency_ms, 0.5), 2) << " | " << fixed(percentile(r->latency_ms, 0.9), 2)
              << " | " << fixed(percentile(r->latency_ms, 0.99), 2) << " | "
              << fixed(percentile(r->latency_ms, 1.0), 2) << " | " << fixed(served, 2) << " | "
              << fixed(mean - served, 2) << " |\n";
  }
  auto stats = (*srv)->stats();
  std::cout
      << "\nMock served " << stats.requests
      << " requests. mock ms/call: mean time the mock held a request "
         "(read -> response written, its configured service time included); overhead ms/call: mean latency "
         "seen by the caller minus that (prompt, queueing in the proxy, JSON, HTTP client, parsing, "
         "loopback TCP).\n";
  return burst.failed + seq.failed > 0 ? 1 : 0;
}
