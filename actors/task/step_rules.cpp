#include "actors/task/step_rules.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kforge::actors {

namespace {

std::string ratio_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", x);
  return buf;
}

// `text` whole if it fits in `room` characters, else cut at the last line end that leaves
// room for the marker (mid-line only when no line end does), saying how much was left out.
std::string within(const std::string& text, std::size_t room) {
  if (text.size() <= room)
    return text;
  constexpr std::size_t marker = 40;  // "\n[... N more characters]"
  auto keep = room > marker ? room - marker : 0;
  auto cut = text.rfind('\n', keep);
  if (cut == std::string::npos || cut < keep / 2)
    cut = keep;
  return text.substr(0, cut) + "\n[... " + std::to_string(text.size() - cut) + " more characters]";
}

}  // namespace

std::string feedback_line(const memory::candidate_record& c, int32_t chars) {
  const auto& v = c.verdict;
  std::string line = c.optimization.empty() ? "candidate" : c.optimization;
  if (v.is_timed()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f us", v.timing.median_ns / 1e3);
    line += ": passed every gate, " + std::string{buf};
    if (c.speedup_vs_ref > 0)
      line += ", " + ratio_text(c.speedup_vs_ref) + " the reference";
    if (c.speedup_vs_parent > 0)
      line += ", " + ratio_text(c.speedup_vs_parent) + " the parent";
    return line;
  }
  line += ": failed the " + v.failed_gate + " gate";
  auto budget = static_cast<std::size_t>(std::max(0, chars));
  for (const auto& g : v.gates) {
    if (g.passed || g.detail.empty())
      continue;
    auto room = budget > line.size() + 4 ? budget - line.size() - 4 : 0;
    if (room == 0)
      break;
    line += " (" + within(g.detail, room) + ")";
  }
  return line;
}

double draft_reward(const kforge::verdict& v, double partial) noexcept {
  if (v.feasible)
    return 1.0;
  if (partial != 0.0 && v.failed_gate == kforge::gate_correctness)
    return partial;
  return -1.0;
}

double refine_raw_reward(const kforge::verdict& v, const kforge::timing_stats& best, double noise) noexcept {
  if (!v.is_timed())
    return -1.0;
  if (best.count <= 0)
    return 1.0;
  auto gain = kforge::gain_beyond_noise(best, v.timing, noise);
  return gain > 0 ? std::tanh(std::log(gain)) : -1.0;
}

double normalise_refine_reward(double raw, bool timed, memory::task_record& task, double min_sd) {
  if (!timed)
    return -1.0;
  // Welford's running mean and M2 over the task's raw feasible refine rewards.
  task.reward_count += 1;
  double delta = raw - task.reward_mean;
  task.reward_mean += delta / static_cast<double>(task.reward_count);
  task.reward_m2 += delta * (raw - task.reward_mean);
  if (task.reward_count < 2)
    return std::clamp(raw, -1.0, 1.0);
  double sd = std::sqrt(task.reward_m2 / static_cast<double>(task.reward_count - 1));
  return std::clamp((raw - task.reward_mean) / std::max(sd, min_sd), -1.0, 1.0);
}

task_roofline roofline_of(const kforge::task_def& task, const roofline_config& roof) {
  task_roofline out;
  hardware::machine_peaks peaks;
  peaks.bandwidth = roof.bandwidth;
  out.gbps = peaks.gbps_for(task.bytes);
  out.gflops = roof.gflops;
  if (out.gflops <= 0 || out.gbps <= 0)
    return out;
  // Roofline times (GB/s == bytes/ns, GFLOP/s == FLOP/ns).
  double memory_ns = task.bytes / out.gbps;
  double compute_ns = task.flops / out.gflops;
  out.floor_ns = std::max(memory_ns, compute_ns);
  out.bound = out.floor_ns < roof.latency_floor_ns ? "latency"
              : memory_ns >= compute_ns            ? "memory"
                                                   : "compute";
  return out;
}

policy_request step_request(const std::string& campaign, const memory::task_record& rec,
                            const kforge::task_def& task, const roofline_config& roof,
                            const std::string& stage, int32_t k, uint64_t seed) {
  policy_request req;
  req.campaign = campaign;
  req.task_id = rec.task_id;
  req.stage = stage;
  req.k = k;
  req.seed = seed;
  auto line = roofline_of(task, roof);
  req.reference_ns = rec.reference_latency_ns;
  req.peak_gbps = line.gbps;
  req.peak_gflops = line.gflops;
  req.roofline_ns = line.floor_ns;
  req.bound = line.bound;
  return req;
}

std::string perf_state(const kforge::task_def& task, double latency_ns, const roofline_config& roof) {
  auto line = roofline_of(task, roof);
  if (latency_ns <= 0 || line.bound.empty())
    return task.family + "|unknown";
  double efficiency = line.floor_ns / latency_ns;
  int bucket = 0;
  for (double edge : roof.buckets)
    if (efficiency >= edge)
      ++bucket;
  return task.family + "|" + line.bound + "|eff" + std::to_string(bucket) + "|" + roof.source;
}

double apply_verdict(memory::task_record& task, memory::candidate_record& cand, const step_config& cfg) {
  const auto& v = cand.verdict;
  bool timed = v.is_timed();
  auto best_before = kforge::latency_of(task.best_latency_ns, task.best_ci_ns);
  task.evaluations += 1;
  if (v.feasible)
    task.feasible += 1;
  // Over the reference as timed by the pool that timed the candidate (a remote worker's device may
  // not be the model the task's reference was first timed on; docs/workers.md).
  double reference_ns = v.reference_ns > 0 ? v.reference_ns : task.reference_latency_ns;
  cand.speedup_vs_ref = timed ? kforge::speedup(reference_ns, v.timing.median_ns) : 0;

  double reward = 0;
  if (v.is_suspect()) {
    reward = 0;  // its figure is not trusted either way: nothing is learned from it
  } else if (cand.stage == "draft") {
    reward = draft_reward(v, cfg.draft_partial);
  } else {
    reward =
        normalise_refine_reward(refine_raw_reward(v, best_before, cfg.noise), timed, task, cfg.min_reward_sd);
  }
  cand.reward = reward;

  bool improved =
      timed && (best_before.count == 0 || kforge::beats_beyond_noise(v.timing, best_before, cfg.noise));
  if (improved) {
    task.best_latency_ns = v.timing.median_ns;
    task.best_ci_ns = v.timing.ci_half_ns;
    task.best_hash = cand.hash;
  }
  if (task.phase == "draft") {
    if (!task.best_hash.empty()) {
      task.phase = "refine";
      task.since_improvement = 0;
    }
  } else if (task.phase == "refine") {
    task.since_improvement = improved ? 0 : task.since_improvement + 1;
    if (cfg.plateau > 0 && task.since_improvement >= cfg.plateau) {
      task.phase = "done";
      task.stop_reason = "plateau";
    }
  }
  if (task.phase != "done" && task.evaluations >= cfg.evaluations) {
    task.phase = "done";
    task.stop_reason = "budget";
  }
  return reward;
}

void apply_final(memory::task_record& task, const std::string& hash, const interleaved_timing& t,
                 int64_t now_ms) {
  task.final_hash = hash;
  task.final_reference_ns = t.reference_ns;
  task.final_latency_ns = t.candidate_ns;
  task.final_rounds = t.rounds;
  task.final_detail = t.detail;
  task.updated_ms = now_ms;
}

void keep_untried(std::vector<proposal>& proposals, const std::set<std::string>& tried,
                  const std::string& campaign, const std::string& task_id, std::vector<proposal>& fresh,
                  std::vector<std::string>& hashes) {
  for (auto& p : proposals) {
    auto hash = candidate_hash(campaign, task_id, p.source);
    if (tried.count(hash) > 0 || std::find(hashes.begin(), hashes.end(), hash) != hashes.end())
      continue;
    fresh.push_back(std::move(p));
    hashes.push_back(std::move(hash));
  }
}

void log_verified(const log::logger& log, const memory::candidate_record& c, bool cached) {
  if (!log::logger::enabled(log::level::info))
    return;
  log.info("candidate verified", {{"campaign", c.campaign},
                                  {"task", c.task_id},
                                  {"cand", short_id(c.hash)},
                                  {"stage", c.stage},
                                  {"gate", c.verdict.failed_gate.empty() ? "all" : c.verdict.failed_gate},
                                  {"speedup", c.speedup_vs_ref},
                                  {"cached", cached}});
}

void committed_history::add(memory::candidate_record& c, const std::string& best_hash) {
  if (c.hash == best_hash)
    best_ = c;
  auto source = std::move(c.source);
  c.source.clear();
  items_.push_back(c);
  c.source = std::move(source);
}

const memory::candidate_record* committed_history::best(const std::string& best_hash) const {
  return !best_hash.empty() && best_.hash == best_hash ? &best_ : nullptr;
}

caf::optional<memory::candidate_record> committed_history::parent_of(
    const memory::candidate_record& cand) const {
  if (cand.parents.empty())
    return caf::none;
  auto it = std::find_if(items_.rbegin(), items_.rend(),
                         [&](const auto& c) { return c.hash == cand.parents.front(); });
  if (it == items_.rend())
    return caf::none;
  return *it;
}

std::string candidate_hash(const std::string& campaign, const std::string& task_id,
                           const std::string& source) {
  content_hasher h;
  h.add(campaign).add(task_id).add(source);
  return h.finish();
}

}  // namespace kforge::actors
