#pragma once

// Terminal rendering of a campaign's progress and its final summary. Pure
// functions from a snapshot to text, so they are tested without a terminal.

#include "actors/messages.hpp"

#include <string>
#include <vector>

namespace kforge::runtime {

/// Geometric mean of best speedups over all tasks (kforge::geomean_speedups); a task with no
/// timed, feasible kernel counts as 1.0 (its reference is kept).
[[nodiscard]] double geomean_speedup(const actors::campaign_progress& p);

/// The live table: per task phase, evaluations, best speedup; overall
/// evaluations/s and verifier busy share. `width` caps line length.
[[nodiscard]] std::string render_live(const actors::campaign_progress& p, int width);

/// One plain progress line for non-terminal output.
[[nodiscard]] std::string render_line(const actors::campaign_progress& p);

/// The final summary: per task reference latency, best latency, speedup, the best re-measured
/// against its reference at the end ("final") and evaluations; the geomean (and the one with
/// the final figures); the store's location; how the campaign ended.
[[nodiscard]] std::string render_summary(const actors::campaign_progress& p);

/// "16:40:58 UTC" (today) or "2026-12-03 16:40:58 UTC" for a wall time in Unix ms.
[[nodiscard]] std::string format_wall(int64_t unix_ms);

/// What a task shows while it waits for the model: "waiting for the model since 16:40:58 UTC
/// (last: ...)"; "" when it does not wait.
[[nodiscard]] std::string waiting_text(const actors::task_progress& t);

/// Marks, in `p`, the tasks whose last calls on record (`calls` of p's campaign, any order)
/// failed because the model was unreachable: waiting_since_ms is when the first of those calls
/// began, last_error its last error. For `kforge status`, which reads the store only.
void apply_model_waits(actors::campaign_progress& p, const std::vector<memory::llm_call_record>& calls);

/// Formats nanoseconds as "123.4 us" / "1.234 ms" / "-" for 0.
[[nodiscard]] std::string format_latency(double ns);

}  // namespace kforge::runtime
