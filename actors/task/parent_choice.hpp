#pragma once

// Which kernel a task's next step starts from, free of CAF so that it is tested directly.
//
//   draft phase  -> draft, no parent
//   refine phase -> the archive's parent by Q2 (archive.hpp)
//                -> no feasible member in the archive: the task's best committed candidate
//                -> no best either (its candidate is missing from the history): draft

#include "actors/messages.hpp"
#include "actors/task/archive.hpp"
#include "actors/task/task_phase.hpp"
#include "memory/records.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::actors {

/// What one step asks the policy for.
struct step_plan {
  std::string stage;                ///< draft | refine
  std::vector<parent_info> parent;  ///< exactly one in refine, none in draft
};

/// The plan of a step in `phase`. `best` is the task's best committed candidate, or null;
/// `step_seed` is the step's seed (the archive's choice is seeded from it, so a resumed
/// task picks the same parent). A task in phase done gets a draft plan; callers stop first.
[[nodiscard]] step_plan plan_step(task_phase phase, const archive& arch, const memory::candidate_record* best,
                                  uint64_t step_seed);

}  // namespace kforge::actors
