#pragma once

// issue 4: the roofline of a campaign's performance states. The peaks are the
// machine's own, measured once (a second or so) and cached in the store's meta
// table under "peak/<device>/..."; they are measured again on request or when
// the machine signature differs. Runs before the actors start (the curator,
// the store's writer, does not exist yet), on the calling thread.

#include "actors/task/step_rules.hpp"
#include "memory/store.hpp"
#include "runtime/campaign/config.hpp"

#include <caf/expected.hpp>

#include <string>

namespace kforge::runtime {

/// Loads the cached peaks of `cfg.verifier.device` from `store`, or measures and caches
/// them (`remeasure` forces it), or, with [machine] measure = false, uses the nominal
/// peaks. Also probes the perf counters. `note` gets one line saying what was used.
/// Errors: errc::store_* (reading or writing the meta table), errc::io_failed (measuring).
[[nodiscard]] caf::expected<actors::roofline_config> prepare_roofline(memory::store& store,
                                                                      const campaign_config& cfg,
                                                                      bool remeasure, std::string& note);

/// Copies the memory items of the store (or snapshot) in `from` into `store`, once
/// per source (meta "memory_from/<hash of the path>" records it; a resumed campaign
/// does not import again). Items already present keep their stored values. Runs
/// before the actors start. Returns the number of items copied.
/// Errors: errc::bad_config (no store at `from`), errc::store_*.
[[nodiscard]] caf::expected<int64_t> import_memory(memory::store& store, const std::filesystem::path& from);

}  // namespace kforge::runtime
