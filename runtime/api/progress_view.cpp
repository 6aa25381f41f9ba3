#include "runtime/api/progress_view.hpp"

#include "runtime/base/scoring.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <vector>

namespace kforge::runtime {

namespace {

// Fixed-point formatting with `digits` decimals and a suffix ("1.25x", "3.1 us").
std::string fixed(double x, int digits, const char* suffix = "") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f%s", digits, x, suffix);
  return buf;
}

std::string pad(std::string s, size_t width, bool left = true) {
  if (s.size() >= width)
    return s.substr(0, width);
  std::string space(width - s.size(), ' ');
  return left ? s + space : space + s;
}

double speedup(const actors::task_progress& t) {
  return kforge::speedup(t.reference_latency_ns, t.best_latency_ns);
}

// The best re-measured against the reference as the task ended; 0 = not (yet) or it failed.
double final_speedup(const actors::task_progress& t) {
  return kforge::speedup(t.final_reference_ns, t.final_latency_ns);
}

std::vector<double> speedups(const actors::campaign_progress& p) {
  std::vector<double> out;
  out.reserve(p.tasks.size());
  for (const auto& t : p.tasks)
    out.push_back(speedup(t));
  return out;
}

double evals_per_second(const actors::campaign_progress& p) {
  return p.elapsed_ms > 0 ? static_cast<double>(p.session_evaluations) * 1000.0 / p.elapsed_ms : 0.0;
}

double busy_share(const actors::campaign_progress& p) {
  return p.verifier.uptime_ms > 0 ? 100.0 * p.verifier.run_busy_ms / p.verifier.uptime_ms : 0.0;
}

std::string header_line(const actors::campaign_progress& p) {
  return "campaign " + p.campaign + " [" + p.status + "]  " + std::to_string(p.evaluations) + "/" +
         std::to_string(p.budget) + " evaluations  " + fixed(evals_per_second(p), 2) +
         " eval/s  verifier busy " + fixed(busy_share(p), 0) + "%  queue " +
         std::to_string(p.verifier.queued + p.verifier.waiting_run) + "  " + fixed(p.elapsed_ms / 1000.0, 0) +
         " s";
}

// The phase a table shows: "waiting" while the task waits for the model.
std::string shown_phase(const actors::task_progress& t) {
  return t.waiting_since_ms != 0 && t.phase != "done" ? "waiting" : t.phase;
}

}  // namespace

std::string format_wall(int64_t unix_ms) {
  auto t = static_cast<std::time_t>(unix_ms / 1000);
  auto today = std::time(nullptr);
  std::tm tm{};
  std::tm now{};
  gmtime_r(&t, &tm);
  gmtime_r(&today, &now);
  char buf[40];
  bool same_day = tm.tm_year == now.tm_year && tm.tm_yday == now.tm_yday;
  std::strftime(buf, sizeof buf, same_day ? "%H:%M:%S UTC" : "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string waiting_text(const actors::task_progress& t) {
  if (t.waiting_since_ms == 0 || t.phase == "done")
    return "";
  std::string out = "waiting for the model since " + format_wall(t.waiting_since_ms);
  if (!t.last_error.empty())
    out += " (last: " + t.last_error.substr(0, 160) + ")";
  return out;
}

void apply_model_waits(actors::campaign_progress& p, const std::vector<memory::llm_call_record>& calls) {
  std::map<std::string, std::vector<const memory::llm_call_record*>> by_task;
  for (const auto& c : calls)
    by_task[c.task_id].push_back(&c);
  for (auto& t : p.tasks) {
    auto it = by_task.find(t.task_id);
    if (it == by_task.end() || t.phase == "done")
      continue;
    auto& list = it->second;
    std::stable_sort(list.begin(), list.end(),
                     [](const auto* a, const auto* b) { return a->created_ms < b->created_ms; });
    // The trailing run of calls that failed because the model was unreachable.
    const memory::llm_call_record* first = nullptr;
    for (auto r = list.rbegin(); r != list.rend(); ++r) {
      if ((*r)->outcome.rfind("error: llm_unreachable", 0) != 0)
        break;
      first = *r;
    }
    if (first == nullptr)
      continue;
    t.waiting_since_ms = first->created_ms - static_cast<int64_t>(first->latency_ms);
    const auto& last = *list.back();
    t.last_error = last.errors.empty() ? last.outcome : last.errors.back();
  }
}

std::string format_latency(double ns) {
  if (ns <= 0)
    return "-";
  if (ns < 1e3)
    return fixed(ns, 0, " ns");
  if (ns < 1e6)
    return fixed(ns / 1e3, 1, " us");
  return fixed(ns / 1e6, 3, " ms");
}

double geomean_speedup(const actors::campaign_progress& p) {
  return geomean_speedups(speedups(p)).over_all;
}

std::string render_live(const actors::campaign_progress& p, int width) {
  auto w = static_cast<size_t>(std::max(40, width));
  std::string out = header_line(p).substr(0, w) + "\n";
  out += (pad("task", 30) + pad("phase", 8) + pad("evals", 8, false) + pad("best", 10, false)).substr(0, w) +
         "\n";
  for (const auto& t : p.tasks) {
    double s = speedup(t);
    std::string line = pad(t.task_id, 30) + pad(shown_phase(t), 8) +
                       pad(std::to_string(t.evaluations) + "/" + std::to_string(t.budget), 8, false) +
                       pad(s > 0 ? fixed(s, 2, "x") : "-", 10, false);
    if (auto wait = waiting_text(t); !wait.empty())
      line += "  " + wait;
    out += line.substr(0, w) + "\n";
  }
  return out;
}

std::string render_line(const actors::campaign_progress& p) {
  std::map<std::string, int> phases;
  int64_t since = 0;
  std::string last;
  for (const auto& t : p.tasks) {
    phases[shown_phase(t)] += 1;
    if (t.waiting_since_ms != 0 && t.phase != "done" && (since == 0 || t.waiting_since_ms < since)) {
      since = t.waiting_since_ms;
      last = t.last_error;
    }
  }
  std::string line = header_line(p) + "  tasks:";
  for (const auto& [phase, n] : phases)
    line += " " + phase + "=" + std::to_string(n);
  line += "  geomean " + fixed(geomean_speedup(p), 2, "x");
  if (since != 0)
    line += "  waiting for the model since " + format_wall(since) + " (last: " + last.substr(0, 120) + ")";
  return line;
}

std::string render_summary(const actors::campaign_progress& p) {
  std::string out;
  out += "\ncampaign " + p.campaign + ": " + p.status;
  if (!p.note.empty())
    out += " (" + p.note + ")";
  out += "\n\n";
  out += pad("task", 30) + pad("reference", 12, false) + pad("best", 12, false) + pad("speedup", 9, false) +
         pad("final", 9, false) + pad("evals", 7, false) + "  " + "ended\n";
  std::vector<double> finals;
  size_t measured = 0;
  int without = 0;
  int flagged = 0;
  for (const auto& t : p.tasks) {
    double s = speedup(t);
    if (s <= 0)
      ++without;
    bool review = p.flag_speedup > 0 && s > p.flag_speedup;
    if (review)
      ++flagged;
    double f = final_speedup(t);
    finals.push_back(f > 0 ? f : s);  // a task not re-measured keeps its campaign figure
    measured += f > 0 ? 1 : 0;
    out += pad(t.task_id, 30) + pad(format_latency(t.reference_latency_ns), 12, false) +
           pad(format_latency(t.best_latency_ns), 12, false) + pad(s > 0 ? fixed(s, 2, "x") : "-", 9, false) +
           pad(f > 0 ? fixed(f, 2, "x") : "-", 9, false) + pad(std::to_string(t.evaluations), 7, false) +
           "  " + (t.phase == "done" ? t.stop_reason : t.phase) + (review ? ", review" : "") +
           (waiting_text(t).empty() ? "" : ", " + waiting_text(t)) + "\n";
  }
  out += std::string{"\n"} + "geomean speedup over the references: " + fixed(geomean_speedup(p), 3, "x");
  if (without > 0)
    out += " (" + std::to_string(without) + " task(s) without a feasible kernel count as 1.0x)";
  out += "\n";
  // "final": each best and its reference run alternately in fresh processes as the task ended.
  if (measured > 0)
    out += "geomean with each best re-measured against its reference at the end (interleaved): " +
           fixed(geomean_speedups(finals).over_all, 3, "x") + " (" + std::to_string(measured) + " of " +
           std::to_string(p.tasks.size()) + " tasks re-measured; the others keep their campaign figure)\n";
  // KernelBench's figures (from kforge's median-based speedups): fast_p = share of tasks with a
  // correct kernel more than p times faster than the reference; the geomean over the correct ones.
  if (!p.tasks.empty()) {
    auto all = speedups(p);
    auto means = geomean_speedups(all);
    auto fast1 = count_faster(all, 1.0);
    auto fast2 = count_faster(all, 2.0);
    auto n = static_cast<double>(p.tasks.size());
    auto share = [n](size_t k) { return fixed(static_cast<double>(k) / n, 3); };
    out += "fast_0 (correct) " + share(means.correct) + ", fast_1 " + share(fast1) + ", fast_2 " +
           share(fast2) + " (" + std::to_string(means.correct) + ", " + std::to_string(fast1) + ", " +
           std::to_string(fast2) + " of " + std::to_string(p.tasks.size()) +
           " tasks); geomean over the correct: " +
           (means.correct > 0 ? fixed(means.over_correct, 3, "x") : std::string{"-"}) + "\n";
  }
  if (flagged > 0)
    out += std::to_string(flagged) + " task(s) marked 'review': speedups above " +
           fixed(p.flag_speedup, 0, "x") +
           " are worth a look (they are the usual sign of a reward hack; these passed every gate)\n";
  out += std::to_string(p.evaluations) + " evaluations in total, " + std::to_string(p.session_evaluations) +
         " in this run (" + fixed(p.elapsed_ms / 1000.0, 1) + " s, " + fixed(evals_per_second(p), 2) +
         " eval/s, verifier busy " + fixed(busy_share(p), 0) + "%)\n";
  out += "store: " + p.store_path + "\n";
  return out;
}

}  // namespace kforge::runtime
