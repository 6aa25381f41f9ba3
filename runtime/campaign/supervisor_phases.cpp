#include "runtime/campaign/supervisor_phases.hpp"

namespace kforge::runtime {

std::string stop_note(stop_reason r) {
  switch (r) {
    case stop_reason::none:
      return "";
    case stop_reason::requested:
      return "stopped on request";
    case stop_reason::wall_budget:
      return "wall-time budget spent";
    case stop_reason::llm_budget:
      return "LLM budget spent";
    case stop_reason::model_unreachable:
      return "the model was unreachable";
  }
  return "";
}

bool supervisor_phases::open() {
  if (is_closed())
    return false;
  opened_ = true;
  if (phase_ == phase::starting)
    phase_ = phase::running;
  return true;
}

bool supervisor_phases::pause() {
  if (phase_ != phase::starting && phase_ != phase::running)
    return false;
  phase_ = phase::paused;
  return true;
}

bool supervisor_phases::resume() {
  if (phase_ != phase::paused)
    return false;
  phase_ = opened_ ? phase::running : phase::starting;
  return true;
}

bool supervisor_phases::stop(stop_reason reason) {
  if (phase_ == phase::starting || phase_ == phase::running || phase_ == phase::paused) {
    phase_ = phase::stopping;
    reason_ = reason;
    return true;
  }
  // The one who asked to stop expects a resumable campaign, whatever else ended the run first.
  if (phase_ == phase::stopping && reason == stop_reason::requested)
    reason_ = reason;
  return false;
}

bool supervisor_phases::close(bool all_tasks_done) {
  if (is_closed())
    return false;
  // A spent wall budget is how a timed campaign is meant to end, so it counts as finished.
  bool finished = all_tasks_done || (phase_ == phase::stopping && reason_ == stop_reason::wall_budget);
  outcome_ = finished ? "finished" : "stopped";
  phase_ = phase::closing;
  return true;
}

void supervisor_phases::end() {
  if (phase_ == phase::closing)
    phase_ = phase::ended;
}

void supervisor_phases::fail() {
  outcome_ = "failed";
  phase_ = phase::ended;
}

void supervisor_phases::already_finished() {
  outcome_ = "finished";
  phase_ = phase::ended;
}

std::string supervisor_phases::status() const {
  switch (phase_) {
    case phase::paused:
      return "paused";
    case phase::closing:
    case phase::ended:
      return outcome_;
    case phase::starting:
    case phase::running:
    case phase::stopping:
      return "running";
  }
  return "running";
}

}  // namespace kforge::runtime
