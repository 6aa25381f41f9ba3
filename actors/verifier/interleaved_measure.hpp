#pragma once

// A candidate measured against its task's reference in one sitting: both built once, then run
// alternately in fresh processes (reference first in even rounds, the candidate first in odd
// ones, so neither always runs warm), and the medians of their per-run medians compared. What a
// neighbour does to the machine in the meantime falls on both alike. Plain code over a backend:
// the pool's run stage calls it, and so does tools/bench/verifier.

#include "actors/messages.hpp"
#include "hardware/backend.hpp"
#include "runtime/base/task.hpp"

#include <caf/expected.hpp>

#include <string>

namespace kforge::actors {

/// Measures `source` against `task`'s reference in `rounds` (at least 1) interleaved rounds on
/// `backend`, which must have prepared `task`. A candidate that fails a gate in any round ends
/// the measurement with candidate_ns = 0 and the gate in `detail`. Errors: the reference
/// cannot be built or timed as a candidate on this backend (errc::reference_failed), or the
/// backend's own (compile, run).
[[nodiscard]] caf::expected<interleaved_timing> measure_interleaved(hardware::backend& backend,
                                                                    const kforge::task_def& task,
                                                                    const std::string& source, int32_t rounds,
                                                                    const std::string& tag);

}  // namespace kforge::actors
