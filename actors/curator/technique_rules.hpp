#pragma once

// The knowledge base of model kernels: <state, <technique, score>> entries the curator keeps
// from every verified refine candidate that names a technique. Free of CAF and LMDB.
//
//   technique entry  sha256("opt", family, state, "technique", backend, id)   kind optimization,
//                    state = the parent's performance state, payload {"technique", "backend",
//                    "name"}, tag "technique"; samples = measured children, mean_speedup = their
//                    mean speedup over the parent (0 for an infeasible child), feasible_samples,
//                    visits2 = uses (steps that asked for it or named it in this state)
//
// The id leaves out the task, so every task of a family in one state feeds the same entry.

#include "memory/records.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kforge::actors {

/// The knowledge-base entry id of (backend, family, parent state, technique id).
[[nodiscard]] std::string technique_entry_id(const std::string& backend, const std::string& family,
                                             const std::string& state, const std::string& technique_id);

/// The technique id and backend an entry measures; false if `item` is no technique entry.
[[nodiscard]] bool technique_of_entry(const memory::memory_item& item, std::string& id, std::string& backend);

/// The entries a verified refine candidate feeds: one per technique id in `cand.technique`
/// (comma-separated catalogue ids), each one sample of the parent's state with the child's
/// speedup over the parent (0 when infeasible) and its reward as the refine value. None for a
/// draft, a parse failure, or a parent
/// without a performance state. The caller merges each with the stored item of its id
/// (merge_item), then calls describe_technique_entry.
[[nodiscard]] std::vector<memory::memory_item> derive_technique_entries(
    const memory::candidate_record& cand, const memory::task_record& task,
    const std::optional<memory::candidate_record>& parent, int64_t now_ms);

/// Rewrites an entry's text from its statistics, in words a model reads:
/// "softmax, memory-bound (eff2): SIMD vectorization gave 1.35x over the parent on average in 3 tries (2
/// correct)".
void describe_technique_entry(memory::memory_item& entry);

}  // namespace kforge::actors
