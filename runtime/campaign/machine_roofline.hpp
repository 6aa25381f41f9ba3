#pragma once

// The roofline of a campaign's performance states and a warm start's memory.
// The peaks are the machine's own, measured once (a second or so) and cached
// in the store's meta table under "peak/<device>/..."; they are measured again
// on request or when the machine signature differs. Both functions only read
// the store: what they find to write goes to the curator, the store's only
// writer (runtime/campaign/campaign_launch). They block (measuring, opening
// another store), so they run off the scheduler's threads.

#include "actors/messages.hpp"
#include "actors/task/step_rules.hpp"
#include "memory/store.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace kforge::runtime {

/// Loads the cached peaks of `cfg.verifier.device` from `store`, or measures them
/// (`remeasure` forces it), or, with [machine] measure = false, uses the nominal peaks.
/// Also probes the perf counters. `note` gets one line saying what was used; `fresh` gets
/// the meta entries that cache freshly measured peaks (nothing when none were measured).
/// Errors: errc::store_* (reading the meta table), errc::io_failed (measuring).
[[nodiscard]] caf::expected<actors::roofline_config> prepare_roofline(
    const memory::store& store, const campaign_config& cfg, bool remeasure, std::string& note,
    std::optional<actors::peaks_record>& fresh);

/// Reads the memory items of the store (or snapshot) in `from` for the curator to import
/// into `store`, once per source: nothing when `store`'s meta "memory_from/<hash of the
/// path>" says it was imported before (a resumed campaign does not import again).
/// Errors: errc::bad_config (no store at `from`), errc::store_*.
[[nodiscard]] caf::expected<std::optional<actors::memory_import>> read_memory_source(
    const memory::store& store, const std::filesystem::path& from);

}  // namespace kforge::runtime
