#pragma once

// The LLM calls on record as data: each call with its prompt and completions, and each
// refine step (parent -> child) with the call that proposed it and its measured gain.
// Used by `kforge show`, `kforge llm calls` and `kforge export --format calls|steps`.
// Read-only; any thread, inside one read transaction of the caller.

#include "memory/store.hpp"
#include "runtime/base/verdict.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::runtime {

/// The measured effect of a refine step: parent median / child median, with bounds from
/// the noise of both measurements.
struct step_gain {
  double gain = 0;         ///< parent median / child median; 0 when either is not timed
  double low = 0;          ///< (P - dP) / (C + dC): the gain if both erred against it; 0 if unknown
  double high = 0;         ///< (P + dP) / (C - dC); 0 when C - dC <= 0 (unbounded) or unknown
  double noise = 0;        ///< relative half-width, sqrt((dP/P)^2 + (dC/C)^2)
  std::string noise_from;  ///< "ci" (ci_half_ns of both), "stddev" (a CI is missing), "" untimed
};

/// The gain of `child` over `parent` (timings in ns). dP, dC are the medians' 95 % CI
/// half-widths when both have one, else the standard deviations.
[[nodiscard]] step_gain measure_gain(const kforge::timing_stats& parent, const kforge::timing_stats& child);

/// Filters of `kforge export --format steps`.
struct step_filter {
  bool correct_only = false;  ///< parent and child feasible
  bool above_noise = false;   ///< the gain's lower bound is above 1
};

/// True if a step with these verdicts and gain passes `filter`.
[[nodiscard]] bool keeps_step(const kforge::verdict& parent, const kforge::verdict& child,
                              const step_gain& gain, const step_filter& filter);

/// The completions of a call: its response, a JSON array of texts. Empty if it holds none.
[[nodiscard]] std::vector<std::string> completions_of(const memory::llm_call_record& call);

/// Index of the first completion that contains `source` (trailing newlines aside); -1 if none.
[[nodiscard]] int completion_index(const std::vector<std::string>& completions, std::string_view source);

/// A record as the JSON object the codec writes (schema.hpp's grammar).
[[nodiscard]] nlohmann::json record_json(const memory::candidate_record& rec);

/// A call as JSON: the record's fields, its prompt ("system_prompt", "user_prompt", as loaded
/// by load_prompt) and its "completions" as an array.
[[nodiscard]] nlohmann::json call_json(const memory::llm_call_record& rec);

/// Called with each JSON object of a scan; a returned error stops it and is returned.
using json_visitor = std::function<caf::error(nlohmann::json&& line)>;

/// Visits every call of `campaign` (all when empty; only `task` when not empty) with its prompt,
/// in request-hash order. Errors: those of the store (store_corrupt, not_found for a missing text).
[[nodiscard]] caf::error for_each_call(const memory::txn& tx, std::string_view campaign,
                                       std::string_view task, const json_visitor& visit);

/// Visits every refine step of `campaign` (all when empty) that passes `filter`: a child with a
/// parent, both sources and verdicts, the prompt and the completion that produced the child,
/// the gain and its noise, the call id. Steps whose call is not on record carry empty prompts.
[[nodiscard]] caf::error for_each_step(const memory::txn& tx, std::string_view campaign,
                                       const step_filter& filter, const json_visitor& visit);

/// The one candidate whose hash starts with `prefix`. Errors: errc::bad_request (empty or
/// ambiguous prefix, naming the first matches), errc::not_found (no candidate starts so).
[[nodiscard]] caf::expected<memory::candidate_record> find_candidate(const memory::txn& tx,
                                                                     std::string_view prefix);

}  // namespace kforge::runtime
