#pragma once

// Settings of the openai backend, from the [llm] table of the campaign config
// (README, "Pointing kforge at a real LLM"). Plain structs, no CAF types.

#include "actors/llm_proxy/token_bucket.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::actors {

/// One OpenAI-compatible endpoint and its limits and prices; one [[llm.endpoint]] table.
struct endpoint_config {
  std::string name;         ///< unique in the campaign, e.g. "vllm-local"
  std::string base_url;     ///< e.g. "http://127.0.0.1:8000/v1"; "/chat/completions" is appended
  std::string model;        ///< model name sent in the request
  std::string api_key_env;  ///< environment variable holding the key; empty = no key. Never logged.
  std::string ca_file;      ///< extra CA certificates (PEM) to trust; empty = system store only
  double temperature = 0.7;
  int32_t max_tokens = 2048;       ///< per completion
  double timeout_ms = 120000;      ///< per attempt: connect, send, wait and read
  int32_t max_concurrent = 4;      ///< requests in flight at once
  double requests_per_minute = 0;  ///< 0 = unlimited
  double tokens_per_minute = 0;    ///< 0 = unlimited (prompt + completion tokens)
  double price_in = 0;             ///< money per million prompt tokens
  double price_out = 0;            ///< money per million completion tokens
  bool send_n = true;              ///< send "n" (candidates per call); off for servers that reject it
};

/// The [llm] table.
struct llm_settings {
  std::vector<endpoint_config> endpoints;
  retry_config retry;
  int64_t token_budget = 0;       ///< prompt + completion tokens of the campaign, all runs; 0 = unlimited
  double cost_budget = 0;         ///< money of the campaign, all runs; 0 = unlimited
  bool cache = true;              ///< replay recorded responses of identical requests (resume)
  double exploration = 1.0;       ///< UCB exploration constant of the endpoint bandit
  std::string prompts_dir;        ///< system.md, draft.md, refine.md; absolute after loading
  int32_t task_reasks = 3;        ///< a task asks again this often after a call failed for good
  double outage_max_wait_s = 60;  ///< a task waiting for an unreachable model asks at least this often
  double outage_horizon_s =
      6 * 3600;                   ///< then the campaign stops (resumable) this long after the first failure
  int32_t feedback_chars = 2000;  ///< characters of one candidate's verifier feedback in a prompt
  /// Largest body of one response; a larger one is a protocol error, refused and not stored.
  int64_t max_response_bytes = int64_t{4} << 20;
  /// Technique catalogues: a folder of <backend>.toml files or one file for every task; absolute
  /// after loading. Default: the "techniques" folder beside prompts_dir.
  std::string techniques;
  bool techniques_given = false;        ///< set in the config (then a missing catalogue is an error)
  int32_t technique_top_k = 4;          ///< techniques kept by score before the draw
  double technique_temperature = 0.25;  ///< softmax temperature of the draw over predicted speedup
  double technique_prior = 1.0;         ///< predicted speedup of a technique not measured yet
};

}  // namespace kforge::actors
