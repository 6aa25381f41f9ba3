#pragma once

#include "memory/records.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kforge::actors {

/// Task actor -> retriever: which memory items should go into a step's context.
struct context_query {
  std::string campaign;
  std::string task_id;
  std::string family;
  std::string stage;  ///< draft | refine
  std::string state;  ///< performance-state signature of the parent; empty in draft
  int32_t n = 4;      ///< items wanted
  uint64_t seed = 0;  ///< drives the epsilon-greedy choice; part of the task's RNG stream
  int32_t kb_n = 0;   ///< knowledge-base optimizations wanted for `state` (refine; 0 in draft)
  /// The policy the context is for: "openai" gets only items in words (a model cannot use knob
  /// settings of templates it never saw), any other policy only knob-derived items.
  std::string policy = "offline";
  bool techniques = false;  ///< also wanted: the family's technique evidence and learned techniques
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, context_query& x) {
  return f(caf::meta::type_name("context_query"), x.campaign, x.task_id, x.family, x.stage, x.state, x.n,
           x.seed, x.kb_n, x.policy, x.techniques);
}

/// Retriever -> task actor: the chosen items, best first.
struct context_reply {
  std::vector<memory::memory_item> items;
  std::vector<memory::memory_item> kb;  ///< knowledge-base picks for the state, sampled (refine only)
  /// With query.techniques: the family's technique entries (kind optimization, tag "technique")
  /// and every learned technique (kind technique), unranked; the task actor draws from them.
  std::vector<memory::memory_item> techniques;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, context_reply& x) {
  return f(caf::meta::type_name("context_reply"), x.items, x.kb, x.techniques);
}

/// The technique a refine step asks the model to apply, with what kforge measured for it in
/// the parent's state so far. An empty id means none was drawn.
struct technique_pick {
  std::string id;  ///< catalogue id
  std::string name;
  std::string summary;
  std::string risks;
  std::string entry_id;     ///< the knowledge-base entry (family, state, technique), stored or not
  int64_t samples = 0;      ///< measured children in this state (0: untried, drawn by its prior)
  double mean_speedup = 0;  ///< their mean speedup over the parent (0 counted for infeasible ones)
  int64_t feasible = 0;     ///< of samples, how many children passed every gate
  int64_t uses = 0;         ///< steps that asked for it or named it in this state
  double predicted = 0;     ///< predicted speedup the draw used (prior blended with samples)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, technique_pick& x) {
  return f(caf::meta::type_name("technique_pick"), x.id, x.name, x.summary, x.risks, x.entry_id, x.samples,
           x.mean_speedup, x.feasible, x.uses, x.predicted);
}

/// The kernel a refinement starts from.
struct parent_info {
  std::string hash;
  std::string source;
  std::vector<kforge::knob_setting> knobs;
  double latency_ns = 0;
  std::string perf_state;
  double ci_half_ns = 0;  ///< half-width of its latency's 95 % CI of the median (ns)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, parent_info& x) {
  return f(caf::meta::type_name("parent_info"), x.hash, x.source, x.knobs, x.latency_ns, x.perf_state,
           x.ci_half_ns);
}

/// Task actor -> LLM proxy: ask the policy for k candidates of one step.
struct policy_request {
  std::string campaign;
  std::string task_id;
  std::string stage;  ///< draft | refine
  int32_t k = 1;
  uint64_t seed = 0;
  std::vector<memory::memory_item> context;
  std::vector<parent_info> parent;    ///< exactly one in refine, none in draft
  std::vector<std::string> feedback;  ///< recent verifier feedback, newest last
  std::vector<uint64_t> tried;  ///< settings this task already evaluated: settings_fingerprint()s, sorted
  std::vector<memory::memory_item> kb;  ///< knowledge-base optimizations known to help the parent's state
  // What kforge measured of the task, for the prompt (0 = not measured).
  double reference_ns = 0;   ///< median latency of the reference implementation
  double peak_gbps = 0;      ///< bandwidth measured for the task's working set, GB/s
  double peak_gflops = 0;    ///< FP32 FMA peak, GFLOP/s
  double roofline_ns = 0;    ///< time the task's bytes and flops take at those peaks
  std::string bound;         ///< latency | memory | compute; empty when the peaks are missing
  technique_pick technique;  ///< refine with a catalogue: the technique to apply (id empty: none)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_request& x) {
  return f(caf::meta::type_name("policy_request"), x.campaign, x.task_id, x.stage, x.k, x.seed, x.context,
           x.parent, x.feedback, x.tried, x.kb, x.reference_ns, x.peak_gbps, x.peak_gflops, x.roofline_ns,
           x.bound, x.technique);
}

/// One candidate kernel proposed by a policy.
struct proposal {
  std::string source;
  std::vector<kforge::knob_setting> knobs;  ///< empty for free-form (LLM) kernels
  std::string optimization;  ///< what changed from the parent, in words (the model's own line), or "draft"
  std::vector<std::string> context_ids;  ///< memory items that shaped this proposal
  std::string
      parse_error;  ///< the reply held no usable kernel (a "parse" verdict, not an error); source = the reply
  std::string technique;  ///< catalogue id (or new name) of the technique applied; empty if none was named
  std::string call_id;    ///< key of the llm_calls record whose completion this is; empty for offline
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, proposal& x) {
  return f(caf::meta::type_name("proposal"), x.source, x.knobs, x.optimization, x.context_ids, x.parse_error,
           x.technique, x.call_id);
}

/// LLM proxy -> task actor: the proposals of one step.
struct policy_reply {
  std::vector<proposal> proposals;
  std::string policy;  ///< backend name: offline | openai
  std::string model;
  /// The policy knows that nothing it can propose is untried (the offline policy, every setting
  /// of a small knob space in request.tried): the task ends "exhausted" now, not after
  /// max_duplicate_steps more steps of proposals it would drop.
  bool exhausted = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_reply& x) {
  return f(caf::meta::type_name("policy_reply"), x.proposals, x.policy, x.model, x.exhausted);
}

/// Task actor -> verifier pool: run the gates on one candidate.
struct verify_request {
  std::string task_id;
  std::string cand_hash;
  std::string source;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verify_request& x) {
  return f(caf::meta::type_name("verify_request"), x.task_id, x.cand_hash, x.source);
}

/// Verifier pool -> task actor: the verdict of one candidate.
struct verification {
  kforge::verdict verdict;
  std::string cache_key;  ///< SHA-256 of (backend build signature, task definition, source)
  bool cached = false;    ///< answered from the verdict cache: nothing was compiled or run
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verification& x) {
  return f(caf::meta::type_name("verification"), x.verdict, x.cache_key, x.cached);
}

/// Verifier pool -> task actor: a candidate and its task's reference built once and run
/// alternately in fresh processes (the final re-measurement of a task's best).
struct interleaved_timing {
  double reference_ns = 0;  ///< median of the reference's per-run medians
  double candidate_ns = 0;  ///< median of the candidate's per-run medians; 0 when it failed
  int32_t rounds = 0;       ///< rounds run (one reference and one candidate run each)
  std::string detail;       ///< why candidate_ns is 0 (the gate that failed and its detail)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, interleaved_timing& x) {
  return f(caf::meta::type_name("interleaved_timing"), x.reference_ns, x.candidate_ns, x.rounds, x.detail);
}

/// Task actor -> curator: one logical event, committed atomically: the
/// candidate with its verdict, and the task's record after it.
struct experience {
  memory::candidate_record candidate;
  memory::task_record task;
  std::string verdict_key;  ///< where the verifier may find this verdict again; empty = not cacheable
  double roofline_ns = 0;   ///< the task's roofline time (step_rules: roofline_of); 0 = unknown
  /// Techniques the candidate named that the catalogue lacks (kind technique): they join it.
  std::vector<memory::memory_item> new_techniques;
  /// The committed parent as the task actor holds it, without its source (what the curator's
  /// rules read of it); absent for a draft, or when the task actor lacks it (the curator then
  /// reads the store).
  caf::optional<memory::candidate_record> parent;  // (CAF 0.17 serialises caf::optional, not std::)
  /// The task's template as the store keeps it once (memory::put_candidate), for a source that
  /// ends with it; null for none. Not serialised: an experience never leaves its process.
  std::shared_ptr<const memory::shared_tail> source_tail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, experience& x) {
  return f(caf::meta::type_name("experience"), x.candidate, x.task, x.verdict_key, x.roofline_ns,
           x.new_techniques, x.parent);
}

/// Verifier pool -> anyone: load and utilisation of one device's pool.
struct verifier_stats {
  std::string device;
  int32_t queued = 0;                ///< waiting for a compile slot
  int32_t compiling = 0;             ///< in the compile stage
  int32_t waiting_run = 0;           ///< compiled, waiting for the run stage
  int32_t running = 0;               ///< in the run stage (0 or 1)
  int64_t completed = 0;             ///< verdicts delivered
  int64_t cache_hits = 0;            ///< verdicts answered from the verdict cache (memory or store)
  int64_t coalesced = 0;             ///< requests that joined an identical one already in flight
  int64_t compile_cache_hits = 0;    ///< compiles skipped because the binary was still built
  int64_t object_hits = 0;           ///< verdicts reused because the machine code equalled an earlier one's
  int64_t remeasured = 0;            ///< flagged verdicts run once more in a fresh process
  int64_t suspect = 0;               ///< of those, the ones whose speedup did not hold
  int64_t reference_runs = 0;        ///< references prepared by a timed run (not restored)
  int64_t reference_cache_hits = 0;  ///< references restored from the store: built, never run
  int64_t reference_stale = 0;       ///< cached references ignored: made for another task definition
  int64_t reference_retries = 0;     ///< reference preparations tried again after a transient failure
  double run_busy_ms = 0;            ///< time the run stage spent running
  double uptime_ms = 0;              ///< time since the pool started
  double backlog_ms = 0;             ///< time during which compiles or runs were queued
  double busy_in_backlog_ms = 0;     ///< run-stage busy time within backlog_ms
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verifier_stats& x) {
  return f(caf::meta::type_name("verifier_stats"), x.device, x.queued, x.compiling, x.waiting_run, x.running,
           x.completed, x.cache_hits, x.coalesced, x.compile_cache_hits, x.object_hits, x.remeasured,
           x.suspect, x.reference_runs, x.reference_cache_hits, x.reference_stale, x.reference_retries,
           x.run_busy_ms, x.uptime_ms, x.backlog_ms, x.busy_in_backlog_ms);
}

/// Task actor -> supervisor: where one task stands, after every commit.
struct task_progress {
  std::string task_id;
  std::string family;
  std::string phase;
  std::string stop_reason;
  int64_t evaluations = 0;
  int64_t feasible = 0;
  int64_t budget = 0;
  double reference_latency_ns = 0;
  double best_latency_ns = 0;
  int64_t waiting_since_ms = 0;   ///< wall ms (Unix epoch) since the task waits for the model; 0 = not
  std::string last_error;         ///< the last failed call while waiting for the model
  bool unreachable = false;       ///< the model stayed unreachable past [llm] outage_horizon_s
  double final_reference_ns = 0;  ///< the final re-measurement (task_record::final_*); 0 = none
  double final_latency_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_progress& x) {
  return f(caf::meta::type_name("task_progress"), x.task_id, x.family, x.phase, x.stop_reason, x.evaluations,
           x.feasible, x.budget, x.reference_latency_ns, x.best_latency_ns, x.waiting_since_ms, x.last_error,
           x.unreachable, x.final_reference_ns, x.final_latency_ns);
}

/// Where a task stands according to its stored record; `budget` is its evaluation budget (0 = unknown).
[[nodiscard]] inline task_progress progress_of(const memory::task_record& r, int64_t budget) {
  task_progress p;
  p.task_id = r.task_id;
  p.family = r.family;
  p.phase = r.phase;
  p.stop_reason = r.stop_reason;
  p.evaluations = r.evaluations;
  p.feasible = r.feasible;
  p.budget = budget;
  p.reference_latency_ns = r.reference_latency_ns;
  p.best_latency_ns = r.best_latency_ns;
  // A re-measurement of an earlier best is not this best's figure.
  if (!r.final_hash.empty() && r.final_hash == r.best_hash) {
    p.final_reference_ns = r.final_reference_ns;
    p.final_latency_ns = r.final_latency_ns;
  }
  return p;
}

/// Supervisor -> listener (the CLI, the API): a snapshot of the whole campaign.
struct campaign_progress {
  std::string campaign;
  std::string status;  ///< running | finished | stopped
  std::string store_path;
  std::vector<task_progress> tasks;
  int64_t evaluations = 0;          ///< committed, all runs of the campaign
  int64_t session_evaluations = 0;  ///< committed in this run
  int64_t budget = 0;               ///< overall evaluation budget
  double elapsed_ms = 0;            ///< this run
  double flag_speedup = 10.0;       ///< speedups above this are marked for review
  verifier_stats verifier;
  std::string note;                  ///< why it stopped, if it did
  int64_t unreachable_since_ms = 0;  ///< wall ms: stopped because the model was unreachable since; 0 = not
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, campaign_progress& x) {
  return f(caf::meta::type_name("campaign_progress"), x.campaign, x.status, x.store_path, x.tasks,
           x.evaluations, x.session_evaluations, x.budget, x.elapsed_ms, x.flag_speedup, x.verifier, x.note,
           x.unreachable_since_ms);
}

// The openai backend's HTTP exchange, which crosses from the io thread to the proxy.

/// What came back from one HTTP attempt (filled by the client on its io thread).
struct http_exchange {
  int32_t status = 0;  ///< HTTP status; 0 when no response arrived
  std::string body;
  std::string retry_after;  ///< the Retry-After header, if any
  std::string error;        ///< transport failure (refused, reset, timeout, TLS); empty if a response came
  double elapsed_ms = 0;    ///< from the first byte sent (connect) to the last byte read
  bool oversized = false;   ///< the body passed the request's limit; reading stopped, `body` is empty
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_exchange& x) {
  return f(caf::meta::type_name("http_exchange"), x.status, x.body, x.retry_after, x.error, x.elapsed_ms,
           x.oversized);
}

// Writes the runtime hands to the curator, the store's only writer, before a campaign starts.

/// Runtime -> curator: memory items of another store to copy into this one, once per source.
struct memory_import {
  std::string source;                      ///< the source store's absolute path (for the record)
  std::string marker;                      ///< meta key that records the import ("memory_from/<hash>")
  std::vector<memory::memory_item> items;  ///< every item of the source, values included
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, memory_import& x) {
  return f(caf::meta::type_name("memory_import"), x.source, x.marker, x.items);
}

/// Runtime -> curator: freshly measured machine peaks of one device, as meta entries.
struct peaks_record {
  std::string device;
  std::map<std::string, std::string> entries;  ///< meta key ("peak/<device>/<metric>") -> value
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peaks_record& x) {
  return f(caf::meta::type_name("peaks_record"), x.device, x.entries);
}

// Remote verifier workers (issue 16): what crosses the network between a coordinator and a worker.

/// Coordinator -> a worker's pool: one candidate (verify, remeasure) or one task's reference
/// (reference: only request.task_id is set).
struct remote_job {
  /// The task's definition, the first time the coordinator sends this pool a job of the task;
  /// empty after that (the pool keeps it).
  std::vector<kforge::task_def> tasks;
  verify_request request;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_job& x) {
  return f(caf::meta::type_name("remote_job"), x.tasks, x.request);
}

/// Coordinator -> worker: the first step of a join.
struct join_challenge {
  std::string nonce;  ///< random, single use: the worker answers HMAC-SHA256(secret, "worker|" + nonce)
  std::string
      proof;  ///< HMAC-SHA256(secret, "coordinator|" + the worker's nonce): the coordinator's own proof
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_challenge& x) {
  return f(caf::meta::type_name("join_challenge"), x.nonce, x.proof);
}

/// Worker -> coordinator: the second step of a join: the answer and the pool offered.
struct worker_offer {
  std::string nonce;   ///< the challenge's nonce
  std::string answer;  ///< HMAC-SHA256(secret, "worker|" + nonce)
  std::string worker;  ///< host:pid, for the log
  std::string device;  ///< the pool's device kind: cpu, null, cuda:N
  int32_t slots = 2;   ///< jobs the coordinator may have in flight on the pool
  /// The pool, a remote_pool_actor (actors/verifier/remote_pool.hpp); untyped here because that
  /// handle's type needs the atoms of the type-ID block this struct is part of.
  caf::actor pool;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_offer& x) {
  return f(caf::meta::type_name("worker_offer"), x.nonce, x.answer, x.worker, x.device, x.slots, x.pool);
}

}  // namespace kforge::actors
