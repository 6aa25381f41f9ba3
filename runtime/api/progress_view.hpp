#pragma once

// Terminal rendering of a campaign's progress and its final summary. Pure
// functions from a snapshot to text, so they are tested without a terminal.

#include "actors/messages.hpp"

#include <string>

namespace kforge::runtime {

/// Geometric mean of best speedups over all tasks (kforge::geomean_speedups); a task with no
/// timed, feasible kernel counts as 1.0 (its reference is kept).
[[nodiscard]] double geomean_speedup(const actors::campaign_progress& p);

/// The live table: per task phase, evaluations, best speedup; overall
/// evaluations/s and verifier busy share. `width` caps line length.
[[nodiscard]] std::string render_live(const actors::campaign_progress& p, int width);

/// One plain progress line for non-terminal output.
[[nodiscard]] std::string render_line(const actors::campaign_progress& p);

/// The final summary: per task reference latency, best latency, speedup and
/// evaluations; the geomean; the store's location; how the campaign ended.
[[nodiscard]] std::string render_summary(const actors::campaign_progress& p);

/// Formats nanoseconds as "123.4 us" / "1.234 ms" / "-" for 0.
[[nodiscard]] std::string format_latency(double ns);

}  // namespace kforge::runtime
