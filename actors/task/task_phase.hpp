#pragma once

// The phases of a task's search, free of CAF:
//
//   draft --(first feasible, timed candidate)--> refine --(plateau | budget)--> done
//     \------------------------(budget, exhausted, stop)---------------------/
//
// The record stores the phase by name (memory/records.hpp); step_rules.hpp moves it.

#include "memory/records.hpp"

namespace kforge::actors {

/// Where a task's search stands.
enum class task_phase {
  draft,   ///< no feasible candidate yet: ask for fresh kernels
  refine,  ///< improve a parent from the archive
  done,    ///< nothing more to do
};

/// The phase a stored record is in; an unknown name counts as draft (a fresh record).
[[nodiscard]] inline task_phase phase_of(const memory::task_record& rec) noexcept {
  if (rec.phase == "refine")
    return task_phase::refine;
  if (rec.phase == "done")
    return task_phase::done;
  return task_phase::draft;
}

/// The stored name of `phase`.
[[nodiscard]] inline const char* to_string(task_phase phase) noexcept {
  switch (phase) {
    case task_phase::refine:
      return "refine";
    case task_phase::done:
      return "done";
    case task_phase::draft:
      break;
  }
  return "draft";
}

}  // namespace kforge::actors
