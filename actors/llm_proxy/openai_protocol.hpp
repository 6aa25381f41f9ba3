#pragma once

// The OpenAI chat-completions protocol as pure functions: endpoint settings,
// URL parsing, the request body, and the classification of a response
// (usable, retryable or final failure). No sockets: http_client.hpp moves the
// bytes, the proxy actor decides.

#include "actors/llm_proxy/llm_settings.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::actors {

/// The parts of an http(s) URL.
struct url_parts {
  bool tls = false;
  std::string host;
  std::string port;  ///< "80"/"443" when absent
  std::string path;  ///< without a trailing '/', may be empty
};

/// Parses "http[s]://host[:port][/path]". Errors: errc::bad_config naming the URL.
[[nodiscard]] caf::expected<url_parts> parse_url(std::string_view url);

/// The JSON body of a chat-completions request for `p`, asking for `n` completions.
[[nodiscard]] std::string chat_request_body(const endpoint_config& ep, const prompt& p, int32_t n,
                                            uint64_t seed);

/// The response cache key: SHA-256 over (campaign, task, stage, step seed, n). A step's seed
/// is unique within a campaign's task, so a resumed campaign that redoes an interrupted step
/// gets the answer that step already paid for, even though its prompt now shows feedback from
/// the candidates committed before the interruption. Not the endpoint: the bandit may pick
/// another one now.
[[nodiscard]] std::string request_hash(const std::string& campaign, const std::string& task_id,
                                       const std::string& stage, uint64_t seed, int32_t n);

/// The decoded completions of a successful call.
struct chat_result {
  std::vector<std::string> contents;        ///< one per choice, in index order
  std::vector<std::string> finish_reasons;  ///< "stop", "length" (truncated) ...
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
};

/// What an honest answer to one request stays within; beyond it the server breaks the protocol.
struct response_limits {
  std::size_t max_body_bytes = std::size_t{4} << 20;  ///< [llm] max_response_bytes
  int64_t max_tokens_out = INT64_MAX;                 ///< n x the request's max_tokens
  int64_t max_tokens_in = INT64_MAX;                  ///< the prompt's bytes plus a chat template's
};

/// How one attempt ended.
struct attempt_outcome {
  bool ok = false;
  bool retryable = false;    ///< 429, 5xx, transport failure, malformed or empty body
  bool unreachable = false;  ///< retryable because the model is down or overloaded (not a bad body)
  /// The server answered what no honest server can (a body over the size limit, usage that is
  /// negative or beyond the request): final, nothing of it is kept, and the call's reservation is
  /// charged in full (a refund would let a lying server spend past the budget).
  bool protocol_error = false;
  double retry_after_ms = -1;  ///< from Retry-After; -1 if absent
  std::string what;            ///< for the record: "ok", "http 429", "reset", "malformed json: ..."
  chat_result result;          ///< when ok
};

/// Classifies an attempt. 2xx with valid JSON and at least one choice is ok; 408, 409,
/// 425, 429, 5xx, transport errors, malformed JSON and empty choices are retryable (the
/// server may do better next time); other 4xx (bad key, bad model) are final; a body or a
/// usage beyond `limits` is a protocol error (final).
[[nodiscard]] attempt_outcome classify(const http_exchange& x, const response_limits& limits = {});

/// The limits of a request for `n` completions of `p` from `ep`, with responses of at most
/// `max_body_bytes`. A token covers at least one byte of the prompt; 4096 tokens more are
/// allowed for a server's chat template.
[[nodiscard]] response_limits limits_of(const endpoint_config& ep, const prompt& p, int32_t n,
                                        int64_t max_body_bytes);

/// Milliseconds from a Retry-After value: delta-seconds (fractions accepted) or an HTTP
/// date relative to `now_unix_s`; -1 when absent or unparseable.
[[nodiscard]] double parse_retry_after(std::string_view value, double now_unix_s);

/// Cost of a call in money: tokens times the per-million prices.
[[nodiscard]] inline double call_cost(const endpoint_config& ep, int64_t tokens_in, int64_t tokens_out) {
  return (static_cast<double>(tokens_in) * ep.price_in + static_cast<double>(tokens_out) * ep.price_out) /
         1e6;
}

/// An upper estimate of a call's tokens before it is made: prompt bytes / 3 + n * max_tokens.
[[nodiscard]] inline int64_t token_estimate(const endpoint_config& ep, const prompt& p, int32_t n) {
  return static_cast<int64_t>((p.system.size() + p.user.size()) / 3 + 16) +
         static_cast<int64_t>(n) * ep.max_tokens;
}

}  // namespace kforge::actors
