#pragma once

// Prometheus text exposition (format 0.0.4) of the daemon at GET /metrics,
// computed from the store and the daemon's live state on each scrape.
//
//   kforge_evaluations_total{campaign,verdict,gate}   committed evaluations; verdict feasible|infeasible,
//                                                     gate = the first failing gate, or "none"
//   kforge_gate_results_total{campaign,gate,result}   every gate run, result pass|fail
//   kforge_campaign_evaluations{campaign}, kforge_campaign_budget{campaign}
//   kforge_campaign_state{campaign,state}             1 for the campaign's current state
//   kforge_task_best_speedup{campaign,task}           reference / best latency (0 = none yet)
//   kforge_verifier_queue_depth{device}               waiting to compile or to run
//   kforge_verifier_busy_ratio{device}                share of the pool's uptime its run stage was busy
//   kforge_verifier_completed_total{device}
//   kforge_llm_requests_total{campaign,model,outcome}  outcome ok|error
//   kforge_llm_tokens_total{campaign,model,direction}  direction in|out
//   kforge_llm_cost_total{campaign,model}
//   kforge_memory_items{kind}

#include "memory/store.hpp"
#include "runtime/api/api_router.hpp"

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace kforge::runtime {

/// LLM usage of one (campaign, model), summed over the stored calls.
struct llm_usage {
  std::string campaign;
  std::string model;
  int64_t requests = 0;
  int64_t errors = 0;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost = 0;
  double latency_ms = 0;  ///< summed
};

/// Sums the llm_calls table by (campaign, model). Any thread. Errors: errc::store_failed, store_corrupt.
[[nodiscard]] caf::expected<std::vector<llm_usage>> collect_llm_usage(const memory::store& store);

/// Escapes a Prometheus label value (backslash, quote, newline).
[[nodiscard]] std::string escape_label(const std::string& value);

/// The whole /metrics page. Any thread. Errors: those of the store.
[[nodiscard]] caf::expected<std::string> render_metrics(const memory::store& store, const api_hooks& hooks);

}  // namespace kforge::runtime
