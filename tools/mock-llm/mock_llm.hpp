#pragma once

// kforge-mock-llm: an OpenAI-compatible chat-completions server on 127.0.0.1
// that answers with kernels inside realistic Markdown: drawn from the task
// templates (knob values substituted), or, with a corpus configured, as a
// simulated model that answers a CPU task with a variant of its family's
// corpus (kernel_corpus.hpp). It injects faults on request:
// 429 with Retry-After, 500, slow answers, dropped connections, truncated
// bodies, malformed JSON, empty choices, and replies with no kernel at all.
// Usable in-process (tests, benchmark) and as a separate executable.

#include "runtime/base/task.hpp"
#include "tools/mock-llm/kernel_corpus.hpp"
#include "tools/mock-llm/replay.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace kforge::mock {

/// The faults the server can inject.
enum class fault : uint8_t {
  none,
  too_many,
  server_error,
  slow,
  drop,
  truncate,
  malformed,
  empty,
  no_kernel
};

/// Name of a fault as used in config and stats: "429", "500", "slow", "drop", "truncate",
/// "malformed", "empty", "no_kernel", "none".
[[nodiscard]] const char* fault_name(fault f) noexcept;

/// Parses a fault name; false if unknown.
[[nodiscard]] bool parse_fault(const std::string& name, fault& out) noexcept;

/// Fault injection settings. Requests first take the faults of `script` in order, then
/// draw from the rates (each a probability; their sum must be <= 1) with `seed`.
struct fault_config {
  std::map<fault, double> rates;
  std::vector<fault> script;
  uint64_t seed = 1;
  double retry_after_s = 0.05;  ///< sent with 429 (fractional seconds are sent as is)
  double slow_ms = 200;         ///< extra delay of a slow answer
};

/// Server settings.
struct server_config {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  ///< 0 = any free port
  int32_t threads = 1;
  double service_ms = 0;          ///< delay before every answer (simulated model time)
  int32_t completion_tokens = 0;  ///< usage reported per choice; 0 = bytes / 4
  fault_config faults;
  corpus_config corpus;    ///< corpus answers for CPU families that have one; off when corpus.dir is empty
  std::string replay_dir;  ///< replayed answers for tasks with files there (replay.hpp); empty: none
  bool keep_requests = false;  ///< keep every request body answered (server::requests; tests)
  std::string cert_pem;        ///< TLS when both are set
  std::string key_pem;
};

/// What the server did so far.
struct server_stats {
  int64_t requests = 0;
  std::map<std::string, int64_t> faults;  ///< by fault_name, "none" included
  int64_t answered = 0;       ///< responses written in full (counted after the write completes: a client may
                              ///< already hold the reply)
  int64_t max_in_flight = 0;  ///< most requests read and not yet answered at once
  double service_ms = 0;      ///< summed over them: request read -> response written
  /// Corpus answers by the techniques the prompt's request named (catalogue id -> requests).
  std::map<std::string, int64_t> requested_techniques;
  int64_t technique_requests = 0;  ///< corpus answers to a request that named at least one technique
};

/// A pure description of one answer (testable without sockets).
struct mock_answer {
  int32_t status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  double delay_ms = 0;
  bool drop = false;                   ///< close the connection without answering
  bool truncate = false;               ///< announce the full length, send half, close
  std::vector<std::string> requested;  ///< catalogue techniques the request named (corpus answers)
};

/// The task a prompt (its messages' text, in order) is for: the id on its "Task id:" (or
/// "Task:") line where that names a known task, else the known id that occurs first as a whole
/// word (the longest at that position). Ids named later, as in memory lines about other tasks,
/// never win over the one the prompt states. Null when the prompt names no known task.
[[nodiscard]] const kforge::task_def* task_for_prompt(const kforge::task_map& tasks,
                                                      const std::string& prompt);

/// Builds the answer to a chat-completions `request_body` under `f`, drawing knob values or
/// corpus variants with `rng`. The task is task_for_prompt's; a request naming no known task
/// gets a 400. With `corpus` set, a CPU task whose family has variants gets one chosen by
/// choose_variant for the techniques the last user message's request_section names (settings
/// from cfg.corpus); with `replay` set, a task with replay files gets the next ones first; other
/// tasks get a template answer.
[[nodiscard]] mock_answer answer(const kforge::task_map& tasks, const server_config& cfg,
                                 const std::string& request_body, fault f, std::mt19937_64& rng,
                                 const kernel_corpus* corpus = nullptr, replay_set* replay = nullptr);

/// The running server. Stops and joins its threads on destruction.
class server {
 public:
  /// Starts serving `tasks` with `cfg`, loading the corpus where cfg.corpus.dir is set.
  /// Errors: errc::io_failed (bind), errc::bad_config (TLS, corpus, corpus settings).
  [[nodiscard]] static caf::expected<std::unique_ptr<server>> start(kforge::task_map tasks,
                                                                    server_config cfg);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port.
  [[nodiscard]] uint16_t port() const noexcept;

  /// Counters so far (thread-safe).
  [[nodiscard]] server_stats stats() const;

  /// The bodies of the requests it answered so far, in arrival order (thread-safe); empty
  /// unless cfg.keep_requests.
  [[nodiscard]] std::vector<std::string> requests() const;

  struct impl;

 private:
  explicit server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// A self-signed certificate for the DNS name `host` (only), made with OpenSSL
/// at run time: PEM certificate and PEM private key. Errors: errc::internal.
struct self_signed {
  std::string cert_pem;
  std::string key_pem;
};
[[nodiscard]] caf::expected<self_signed> make_self_signed(const std::string& host);

}  // namespace kforge::mock
