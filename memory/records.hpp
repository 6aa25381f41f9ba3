#pragma once

#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kforge::memory {

/// Schema version written at the start of every value. Bump it with a migration.
inline constexpr uint8_t schema_version = 2;

/// A campaign: its config and where it stands. Table `campaigns`, key = id.
struct campaign_record {
  std::string id;
  std::string config_path;
  std::string config_hash;  ///< SHA-256 of the config text
  std::string config_text;
  std::string status = "running";  ///< running | finished | stopped
  uint64_t seed = 0;
  int64_t evaluations = 0;  ///< committed evaluations over all tasks
  int64_t created_ms = 0;   ///< unix epoch milliseconds
  int64_t updated_ms = 0;
  double wall_ms = 0;  ///< wall time spent running, summed over runs (for the wall-time budget)
};

/// One operator's progress in one campaign. Table `tasks`, key = campaign, task id.
struct task_record {
  std::string campaign;
  std::string task_id;
  std::string definition_hash;
  std::string family;
  std::string backend;
  std::string phase = "draft";  ///< draft | refine | done
  std::string stop_reason;      ///< why it is done: budget, plateau, stopped
  std::string best_hash;        ///< best feasible, timed candidate; empty if none yet
  double best_latency_ns = 0;
  double best_ci_ns = 0;            ///< half-width of the best's 95 % CI of the median (ns); 0 = unknown
  double reference_latency_ns = 0;  ///< measured by the verifier, once
  int64_t evaluations = 0;          ///< committed candidates (feasible or not)
  int64_t feasible = 0;
  int64_t step = 0;               ///< policy steps taken; seeds the task's RNG
  int64_t since_improvement = 0;  ///< refine evaluations since the best improved (plateau)
  int64_t reward_count = 0;       ///< running statistics of raw refine rewards (normalisation)
  double reward_mean = 0;
  double reward_m2 = 0;
  int64_t updated_ms = 0;
  /// The best as re-measured against the reference when the task ended: both run alternately in
  /// fresh processes (interleaved A/B). final_hash names the candidate measured (empty = never;
  /// a best that changed since is measured again); final_latency_ns is 0 when it failed a gate.
  std::string final_hash;
  double final_reference_ns = 0;  ///< median of the reference's per-run medians
  double final_latency_ns = 0;    ///< median of the best's per-run medians
  int32_t final_rounds = 0;       ///< interleaved rounds
  std::string final_detail;       ///< why the re-measure has no figure (a failing gate, an error)
};

/// One evaluated kernel. Table `candidates`, key = hash (SHA-256 of campaign, task, source).
/// Index `task_candidates`: campaign, task, seq -> hash.
struct candidate_record {
  std::string hash;
  std::string campaign;
  std::string task_id;
  int64_t seq = 0;  ///< 0-based evaluation index within the task
  std::string source;
  std::vector<std::string> parents;
  std::string stage;  ///< draft | refine
  std::string policy;
  std::string model;
  std::vector<std::string> context_ids;  ///< memory items in the policy's context
  std::vector<kforge::knob_setting> knobs;
  std::string optimization;  ///< named change from the parent, e.g. "VEC 4->8"
  kforge::verdict verdict;
  double speedup_vs_ref = 0;     ///< reference latency / candidate latency; 0 if not timed
  double speedup_vs_parent = 0;  ///< parent latency / candidate latency, 1.0 within the noise; 0 if unknown
  double reward = 0;             ///< the stage reward that updated the context's values
  std::string perf_state;        ///< performance state signature, e.g. "softmax|memory|eff2"
  std::string device;
  int64_t created_ms = 0;
  std::string technique;  ///< catalogue id (or the model's name) of the technique applied; empty if none
  std::string call_id;    ///< key of the llm_calls record whose completion this is; empty for offline
  /// Storage only: the `texts` key of the source's tail that the store keeps once for many
  /// candidates (the template a rendering ends with), `source` then holding what precedes it.
  /// Always empty in a record read through the store API (get_candidate and list_candidates
  /// append the text) and in one to write (put_candidate decides).
  std::string source_tail;
};

/// A text that many candidates' sources end with (a task's template), with its `texts` key
/// (sha256_hex of the text), computed once by whoever holds it: memory::put_candidate keeps
/// such a tail once in `texts` instead of in every candidate.
struct shared_tail {
  std::string key;
  std::string text;
};

/// Tails shorter than this are not worth a `texts` entry: such a source is stored whole.
inline constexpr std::size_t shared_tail_min = 1024;

/// A memory item shared across tasks. Table `memory`, key = id.
struct memory_item {
  std::string id;
  std::string kind;  ///< seed | trajectory | optimization | insight
  std::string family;
  std::string state;  ///< performance-state signature it applies to; empty for any
  std::vector<std::string> tags;
  std::string text;     ///< human- and LLM-readable statement
  std::string payload;  ///< machine-readable JSON (e.g. knob settings, optimization)
  double q1 = 0;        ///< drafting value
  double q2 = 0;        ///< refining value
  int64_t visits1 = 0;
  int64_t visits2 = 0;
  std::vector<std::string> source_tasks;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // Knowledge-base statistics (measured outcomes of applying the item) and retirement.
  int64_t samples = 0;      ///< measured outcomes of applying it (optimization, insight): children evaluated
  double mean_speedup = 0;  ///< running mean of the child's speedup over its parent (0 when infeasible)
  int64_t feasible_samples = 0;  ///< of `samples`, how many children were feasible
  bool retired = false;          ///< retired by consolidation: kept for inspection, never retrieved
};

/// Tag of a memory item whose text and payload are in words (what a model's kernel did and
/// what kforge measured), with no knob settings: the only items a model's prompt gets.
inline constexpr const char* words_tag = "words";

/// True if `item` carries words_tag.
[[nodiscard]] inline bool is_in_words(const memory_item& item) {
  for (const auto& t : item.tags)
    if (t == words_tag)
      return true;
  return false;
}

/// One policy call. Table `llm_calls`, key = request hash (the response cache).
struct llm_call_record {
  std::string request_hash;
  std::string campaign;
  std::string task_id;
  std::string endpoint;
  std::string model;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double latency_ms = 0;
  double cost = 0;
  std::string outcome;  ///< ok | error text
  int32_t attempts = 1;
  std::string response;
  int64_t created_ms = 0;
  // What the call was for and how the proxy got it answered (debugging and cost accounting).
  std::string stage;  ///< draft | refine
  std::vector<std::string>
      errors;           ///< one line per failed attempt (http 429, transport: ..., malformed json)
  std::string choice;   ///< why the bandit picked the endpoint ("untried a", "ucb a=1.2 b=0.9")
  int32_t kernels = 0;  ///< completions in the response
  int32_t usable = 0;   ///< completions the parser took a kernel from
  // The prompt, deduplicated: keys of table `texts` (SHA-256 of the text); empty when none was stored.
  std::string system_text;  ///< `texts` key of the system prompt
  std::string user_text;    ///< `texts` key of the user prompt
  // The prompt itself, carried from the proxy to the curator and filled by load_prompt; never
  // part of the llm_calls value. put_llm_call stores each non-empty one in `texts` and sets its key.
  std::string system_prompt;
  std::string user_prompt;
};

/// A task's prepared reference on one device, cached so that a restart or another campaign
/// skips its preparation. Table `references`, key = reference_key(signature, device, task id).
struct reference_record {
  std::string task_id;
  std::string device;
  std::string signature;  ///< the backend's build signature it was prepared under
  std::string
      reference_hash;  ///< task_def::reference_hash of the task it was prepared for: another makes it stale
  kforge::timing_stats timing;  ///< the reference's timing
  int64_t created_ms = 0;
  std::string data;  ///< the backend's reference data (its outputs), opaque bytes; not JSON
};

// CAF inspect overloads: records travel in messages (verifier pools and
// curators may be remote), so every field serializes.

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, campaign_record& x) {
  return f(caf::meta::type_name("campaign_record"), x.id, x.config_path, x.config_hash, x.config_text,
           x.status, x.seed, x.evaluations, x.created_ms, x.updated_ms, x.wall_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_record& x) {
  return f(caf::meta::type_name("task_record"), x.campaign, x.task_id, x.definition_hash, x.family, x.backend,
           x.phase, x.stop_reason, x.best_hash, x.best_latency_ns, x.best_ci_ns, x.reference_latency_ns,
           x.evaluations, x.feasible, x.step, x.since_improvement, x.reward_count, x.reward_mean, x.reward_m2,
           x.updated_ms, x.final_hash, x.final_reference_ns, x.final_latency_ns, x.final_rounds,
           x.final_detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, candidate_record& x) {
  return f(caf::meta::type_name("candidate_record"), x.hash, x.campaign, x.task_id, x.seq, x.source,
           x.parents, x.stage, x.policy, x.model, x.context_ids, x.knobs, x.optimization, x.verdict,
           x.speedup_vs_ref, x.speedup_vs_parent, x.reward, x.perf_state, x.device, x.created_ms, x.technique,
           x.call_id, x.source_tail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, memory_item& x) {
  return f(caf::meta::type_name("memory_item"), x.id, x.kind, x.family, x.state, x.tags, x.text, x.payload,
           x.q1, x.q2, x.visits1, x.visits2, x.source_tasks, x.created_ms, x.updated_ms, x.samples,
           x.mean_speedup, x.feasible_samples, x.retired);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, llm_call_record& x) {
  return f(caf::meta::type_name("llm_call_record"), x.request_hash, x.campaign, x.task_id, x.endpoint,
           x.model, x.tokens_in, x.tokens_out, x.latency_ms, x.cost, x.outcome, x.attempts, x.response,
           x.created_ms, x.stage, x.errors, x.choice, x.kernels, x.usable, x.system_text, x.user_text,
           x.system_prompt, x.user_prompt);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reference_record& x) {
  return f(caf::meta::type_name("reference_record"), x.task_id, x.device, x.signature, x.reference_hash,
           x.timing, x.created_ms, x.data);
}

}  // namespace kforge::memory
