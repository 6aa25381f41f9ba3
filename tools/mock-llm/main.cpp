// kforge-mock-llm: serves OpenAI-compatible chat completions on 127.0.0.1 with
// kernels from the task templates, and injects faults on request.
//
//   kforge-mock-llm --tasks 'configs/tasks/cpu/*.toml' [--port 8001] [--service-ms 0]
//                   [--fault 429=0.1 --fault drop=0.05 ...] [--script 429,500,drop] [--seed 1]
//                   [--retry-after-s 0.05] [--slow-ms 200] [--threads 1] [--tls-cert-out ca.pem]
//                   [--simulate | --corpus DIR] [--techniques FILE] [--mistake-rate 0.2]
//                   [--technique-weight 4] [--replay DIR]
//
// --simulate answers CPU tasks from the source tree's corpus (tools/mock-llm/corpus), --corpus
// from DIR; families without a corpus keep the template answers. --replay DIR answers each task
// that has files in DIR/<task id>/ with them, in order (real kernels, replay.hpp).

#include "hardware/tasks/task_loader.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

using namespace kforge;

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) {
  stop_requested = 1;
}

int usage() {
  std::cerr << "usage: kforge-mock-llm --tasks GLOB [--tasks GLOB...] [--port N] [--service-ms MS]\n"
               "         [--fault NAME=RATE]... [--script NAME,NAME,...] [--seed N] [--retry-after-s S]\n"
               "         [--slow-ms MS] [--threads N] [--tls-cert-out FILE]\n"
               "         [--simulate | --corpus DIR] [--techniques FILE] [--mistake-rate X]\n"
               "         [--technique-weight W] [--replay DIR]\n"
               "faults: 429 500 slow drop truncate malformed empty no_kernel\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  mock::server_config cfg;
  std::vector<std::string> globs;
  std::string cert_out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "kforge-mock-llm: " << arg << " needs a value\n";
        std::exit(usage());
      }
      return argv[++i];
    };
    try {
      if (arg == "--tasks") {
        globs.push_back(value());
      } else if (arg == "--port") {
        cfg.port = static_cast<uint16_t>(std::stoul(value()));
      } else if (arg == "--service-ms") {
        cfg.service_ms = std::stod(value());
      } else if (arg == "--seed") {
        cfg.faults.seed = std::stoull(value());
      } else if (arg == "--retry-after-s") {
        cfg.faults.retry_after_s = std::stod(value());
      } else if (arg == "--slow-ms") {
        cfg.faults.slow_ms = std::stod(value());
      } else if (arg == "--threads") {
        cfg.threads = std::stoi(value());
      } else if (arg == "--simulate") {
        cfg.corpus.dir = mock::default_corpus_dir();
      } else if (arg == "--corpus") {
        cfg.corpus.dir = value();
      } else if (arg == "--techniques") {
        cfg.corpus.techniques_file = value();
      } else if (arg == "--mistake-rate") {
        cfg.corpus.mistake_rate = std::stod(value());
      } else if (arg == "--technique-weight") {
        cfg.corpus.technique_weight = std::stod(value());
      } else if (arg == "--replay") {
        cfg.replay_dir = value();
      } else if (arg == "--tls-cert-out") {
        cert_out = value();
      } else if (arg == "--fault") {
        auto v = value();
        auto eq = v.find('=');
        mock::fault f;
        if (eq == std::string::npos || !mock::parse_fault(v.substr(0, eq), f)) {
          std::cerr << "kforge-mock-llm: bad --fault '" << v << "'\n";
          return usage();
        }
        cfg.faults.rates[f] = std::stod(v.substr(eq + 1));
      } else if (arg == "--script") {
        std::stringstream list{value()};
        for (std::string name; std::getline(list, name, ',');) {
          mock::fault f;
          if (!mock::parse_fault(name, f)) {
            std::cerr << "kforge-mock-llm: unknown fault '" << name << "'\n";
            return usage();
          }
          cfg.faults.script.push_back(f);
        }
      } else {
        return usage();
      }
    } catch (const std::exception&) {
      std::cerr << "kforge-mock-llm: bad value for " << arg << '\n';
      return usage();
    }
  }
  if (globs.empty())
    return usage();
  auto loaded = hardware::load_tasks(std::filesystem::current_path(), globs);
  if (!loaded) {
    std::cerr << "kforge-mock-llm: " << describe(loaded.error()) << '\n';
    return 1;
  }
  kforge::task_map tasks;
  for (auto& t : *loaded) {
    auto id = t.id;
    tasks.emplace(std::move(id), std::move(t));
  }
  if (!cert_out.empty()) {
    auto cert = mock::make_self_signed("localhost");
    if (!cert) {
      std::cerr << "kforge-mock-llm: " << describe(cert.error()) << '\n';
      return 1;
    }
    std::ofstream{cert_out} << cert->cert_pem;
    cfg.cert_pem = cert->cert_pem;
    cfg.key_pem = cert->key_pem;
  }
  auto srv = mock::server::start(std::move(tasks), cfg);
  if (!srv) {
    std::cerr << "kforge-mock-llm: " << describe(srv.error()) << '\n';
    return 1;
  }
  if (!cfg.replay_dir.empty())
    std::cout << "kforge-mock-llm: replaying the kernels of " << cfg.replay_dir << std::endl;
  if (!cfg.corpus.dir.empty())
    std::cout << "kforge-mock-llm: simulated model, corpus " << cfg.corpus.dir << ", mistake rate "
              << cfg.corpus.mistake_rate << std::endl;
  std::cout << "kforge-mock-llm: listening on " << (cfg.cert_pem.empty() ? "http" : "https")
            << "://127.0.0.1:" << (*srv)->port() << "/v1" << std::endl;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (stop_requested == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto stats = (*srv)->stats();
  std::cout << "kforge-mock-llm: " << stats.requests << " requests;";
  for (const auto& [name, count] : stats.faults)
    std::cout << ' ' << name << '=' << count;
  std::cout << std::endl;
  return 0;
}
