#include "runtime/campaign/config.hpp"

#include "actors/llm_proxy/openai_protocol.hpp"
#include "hardware/host/timing_core_lease.hpp"
#include "hardware/null/null_device.hpp"
#include "runtime/base/toml_reader.hpp"
#include "runtime/campaign/workers_setup.hpp"
#include "runtime/campaign/workers_table.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <thread>

namespace kforge::runtime {

namespace {

using reader = toml_reader;

// Limits that follow from the machine or the store (README, "Campaign config").
constexpr std::size_t max_campaign_name = 200;     // LMDB keys hold it and stay under 511 bytes
constexpr int32_t min_seeds = 2;                   // input alternation needs two input sets
constexpr int32_t max_seeds = 256;                 // each is a reference run's inputs and outputs in memory
constexpr int32_t compile_jobs_per_core = 4;       // compiles beyond that only queue for the cores
constexpr double max_seconds = 365.0 * 24 * 3600;  // a duration key (it becomes int64 milliseconds)
constexpr int64_t max_response_limit = int64_t{1} << 30;

// A device name: "cpu", "null" (instant synthetic verdicts) or "null:sleep=MS", "cuda" (every GPU),
// "cuda:all" or "cuda:N".
bool is_known_device(const std::string& device) {
  if (device == "cpu" || hardware::null_sleep_ms(device) || device == "cuda" || device == "cuda:all")
    return true;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5)
    return false;
  return std::all_of(device.begin() + 5, device.end(),
                     [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; });
}

// The [cuda] and [kernelbench] tables.
void parse_gpu_tables(const reader& r, const toml_value& root, campaign_config& c) {
  const auto& cuda = reader::table_or_empty(root, "cuda");
  r.only(cuda, "cuda", {"nvcc", "nvcc_flags", "arch", "profile", "ncu"});
  r.get(cuda, "nvcc", c.cuda.nvcc);
  r.get(cuda, "nvcc_flags", c.cuda.nvcc_flags);
  r.get(cuda, "arch", c.cuda.arch);
  r.get(cuda, "profile", c.cuda.profile);
  r.get(cuda, "ncu", c.cuda.ncu);
  if (!c.cuda.arch.empty() && c.cuda.arch.rfind("sm_", 0) != 0)
    r.fail(cuda.at("arch"), "key 'arch' must look like sm_90");
  const auto& kb = reader::table_or_empty(root, "kernelbench");
  r.only(kb, "kernelbench",
         {"python", "trials", "warmup", "runs", "seed", "flush_mib", "keep_on_gpu_mib", "compile_timeout_s",
          "run_timeout_s", "max_rel_l2", "min_spread_ratio", "input_sets", "overrides"});
  auto& k = c.kernelbench;
  r.get(kb, "python", k.python);
  r.positive(kb, "trials", k.trials);
  r.positive(kb, "warmup", k.warmup, true);
  r.positive(kb, "runs", k.runs);
  r.positive(kb, "seed", k.seed, true);
  r.positive(kb, "flush_mib", k.flush_mib, true);
  r.positive(kb, "keep_on_gpu_mib", k.keep_on_gpu_mib, true);
  r.number(kb, "compile_timeout_s", k.compile_timeout_s);
  r.number(kb, "run_timeout_s", k.run_timeout_s);
  if (k.compile_timeout_s <= 0 || k.run_timeout_s <= 0)
    r.fail(kb, "kernelbench timeouts must be positive");
  r.within(kb, "compile_timeout_s", k.compile_timeout_s, 0.0, max_seconds);
  r.within(kb, "run_timeout_s", k.run_timeout_s, 0.0, max_seconds);
  auto judge_keys = [&](const toml_value& t, double& rel, double& spread) {
    r.number(t, "max_rel_l2", rel);
    if (rel <= 0)
      r.fail(t.at("max_rel_l2"), "key 'max_rel_l2' must be positive");
    r.number(t, "min_spread_ratio", spread);
    if (spread < 0 || spread >= 1)
      r.fail(t.at("min_spread_ratio"), "key 'min_spread_ratio' must be in [0, 1)");
  };
  judge_keys(kb, k.max_rel_l2, k.min_spread_ratio);
  r.positive(kb, "input_sets", k.input_sets, true);
  if (kb.is_table() && kb.contains("overrides")) {
    const auto& o = kb.at("overrides");
    if (!o.is_table())
      r.fail(o, "'overrides' in [kernelbench] must be a table of tables: [kernelbench.overrides.\"TASK\"]");
    for (const auto& [task, t] : o.as_table()) {
      if (!t.is_table())
        r.fail(t, "[kernelbench.overrides] entry '" + task + "' must be a table");
      r.only(t, "kernelbench.overrides." + task, {"max_rel_l2", "min_spread_ratio"});
      auto rel = k.max_rel_l2;
      auto spread = k.min_spread_ratio;
      judge_keys(t, rel, spread);
      k.overrides[task] = {rel, spread};
    }
  }
}

// The [llm] table and its [[llm.endpoint]] tables.
void parse_llm(const reader& r, const toml_value& root, const std::filesystem::path& base,
               campaign_config& c) {
  auto& l = c.llm;
  const auto& llm = reader::table_or_empty(root, "llm");
  r.only(llm, "llm",
         {"endpoint", "prompts", "max_attempts", "backoff_ms", "max_backoff_ms", "jitter", "token_budget",
          "cost_budget", "cache", "exploration", "task_reasks", "outage_max_wait_s", "outage_horizon_s",
          "feedback_chars", "techniques", "technique_top_k", "technique_temperature", "technique_prior",
          "max_response_bytes"});
  std::string prompts = "prompts";
  r.get(llm, "prompts", prompts);
  std::filesystem::path pd{prompts};
  l.prompts_dir = (pd.is_relative() ? base / pd : pd).lexically_normal().string();
  l.techniques_given = llm.is_table() && llm.contains("techniques");
  std::string techniques = (std::filesystem::path{l.prompts_dir} / ".." / "techniques").string();
  r.get(llm, "techniques", techniques);
  std::filesystem::path td{techniques};
  l.techniques = (td.is_relative() ? base / td : td).lexically_normal().string();
  r.positive(llm, "technique_top_k", l.technique_top_k);
  r.number(llm, "technique_temperature", l.technique_temperature);
  if (l.technique_temperature <= 0)
    r.fail(llm.at("technique_temperature"), "key 'technique_temperature' must be positive");
  r.number(llm, "technique_prior", l.technique_prior);
  if (l.technique_prior < 0)
    r.fail(llm.at("technique_prior"), "key 'technique_prior' must be zero or more");
  r.positive(llm, "max_attempts", l.retry.max_attempts);
  r.number(llm, "backoff_ms", l.retry.base_ms);
  r.number(llm, "max_backoff_ms", l.retry.max_ms);
  if (l.retry.base_ms < 0 || l.retry.max_ms < l.retry.base_ms)
    r.fail(llm, "[llm] needs 0 <= backoff_ms <= max_backoff_ms");
  r.number(llm, "jitter", l.retry.jitter);
  r.fraction(llm, "jitter", l.retry.jitter);
  r.positive(llm, "token_budget", l.token_budget, true);
  r.number(llm, "cost_budget", l.cost_budget);
  if (l.cost_budget < 0)
    r.fail(llm.at("cost_budget"), "key 'cost_budget' must be zero or more");
  r.get(llm, "cache", l.cache);
  r.positive(llm, "task_reasks", l.task_reasks, true);
  r.number(llm, "outage_max_wait_s", l.outage_max_wait_s);
  if (l.outage_max_wait_s <= 0)
    r.fail(llm.at("outage_max_wait_s"), "key 'outage_max_wait_s' must be more than zero");
  r.number(llm, "outage_horizon_s", l.outage_horizon_s);
  if (l.outage_horizon_s <= 0)
    r.fail(llm.at("outage_horizon_s"), "key 'outage_horizon_s' must be more than zero");
  r.within(llm, "outage_max_wait_s", l.outage_max_wait_s, 0.0, max_seconds);
  r.within(llm, "outage_horizon_s", l.outage_horizon_s, 0.0, max_seconds);
  r.within(llm, "max_response_bytes", l.max_response_bytes, int64_t{1024}, max_response_limit);
  r.positive(llm, "feedback_chars", l.feedback_chars);
  r.number(llm, "exploration", l.exploration);
  if (l.exploration < 0)
    r.fail(llm.at("exploration"), "key 'exploration' must be zero or more");
  if (llm.is_table() && llm.contains("endpoint")) {
    const auto& list = llm.at("endpoint");
    if (!list.is_array())
      r.fail(list, "'endpoint' in [llm] must be an array of tables: [[llm.endpoint]]");
    std::set<std::string> names;
    for (const auto& t : list.as_array()) {
      r.only(
          t, "llm.endpoint",
          {"name", "base_url", "model", "api_key_env", "ca_file", "temperature", "max_tokens", "timeout_s",
           "max_concurrent", "requests_per_minute", "tokens_per_minute", "price_in", "price_out", "send_n"});
      actors::endpoint_config ep;
      for (const char* key : {"name", "base_url", "model"})
        if (!t.contains(key))
          r.fail(t, "missing required key '" + std::string{key} + "' in [[llm.endpoint]]");
      r.get(t, "name", ep.name);
      if (!names.insert(ep.name).second)
        r.fail(t.at("name"), "duplicate endpoint name '" + ep.name + "'");
      r.get(t, "base_url", ep.base_url);
      if (ep.base_url.rfind("http://", 0) != 0 && ep.base_url.rfind("https://", 0) != 0)
        r.fail(t.at("base_url"), "base_url '" + ep.base_url + "' must start with http:// or https://");
      if (auto url = actors::parse_url(ep.base_url); !url) {
        auto why = describe(url.error());  // "bad_config: URL ...": the reader adds its own code
        r.fail(t.at("base_url"), why.substr(why.find(": ") + 2));
      }
      r.get(t, "model", ep.model);
      r.get(t, "api_key_env", ep.api_key_env);
      r.get(t, "ca_file", ep.ca_file);
      if (!ep.ca_file.empty() && std::filesystem::path{ep.ca_file}.is_relative())
        ep.ca_file = (base / ep.ca_file).lexically_normal().string();
      r.number(t, "temperature", ep.temperature);
      if (ep.temperature < 0 || ep.temperature > 2)
        r.fail(t.at("temperature"), "key 'temperature' must be between 0 and 2");
      r.positive(t, "max_tokens", ep.max_tokens);
      double timeout_s = ep.timeout_ms / 1000.0;
      r.number(t, "timeout_s", timeout_s);
      if (timeout_s <= 0 || timeout_s > max_seconds)
        r.fail(t.at("timeout_s"), "key 'timeout_s' must be positive and at most " +
                                      std::to_string(static_cast<int64_t>(max_seconds)));
      ep.timeout_ms = timeout_s * 1000.0;
      r.positive(t, "max_concurrent", ep.max_concurrent);
      r.number(t, "requests_per_minute", ep.requests_per_minute);
      r.number(t, "tokens_per_minute", ep.tokens_per_minute);
      r.number(t, "price_in", ep.price_in);
      r.number(t, "price_out", ep.price_out);
      if (ep.requests_per_minute < 0 || ep.tokens_per_minute < 0 || ep.price_in < 0 || ep.price_out < 0)
        r.fail(t, "rates and prices of an endpoint must be zero or more");
      r.get(t, "send_n", ep.send_n);
      l.endpoints.push_back(std::move(ep));
    }
  }
  if (c.policy == "openai" && l.endpoints.empty())
    r.fail(root.contains("llm") ? root.at("llm") : root,
           "policy 'openai' needs at least one [[llm.endpoint]] table");
}

campaign_config parse(const reader& r, const toml_value& root, const std::filesystem::path& file,
                      const std::string& text) {
  campaign_config c;
  c.file = file;
  c.text = text;
  r.only(root, "top level",
         {"campaign", "budget", "policy", "memory", "verifier", "store", "machine", "cuda", "kernelbench",
          "llm", "archive", "workers"});
  if (!root.contains("campaign"))
    r.fail("missing required table [campaign]");

  const auto& camp = root.at("campaign");
  r.only(camp, "campaign", {"name", "seed", "tasks", "max_live_tasks", "family_order"});
  if (!camp.contains("name"))
    r.fail(camp, "missing required key 'name' in [campaign]");
  r.get(camp, "name", c.name);
  for (char ch : c.name)
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) ||
          ch == '_' || ch == '-'))
      r.fail(camp.at("name"), "campaign name '" + c.name + "' may hold only a-z, 0-9, '_' and '-'");
  if (c.name.empty())
    r.fail(camp.at("name"), "campaign name is empty");
  if (c.name.size() > max_campaign_name)
    r.fail(camp.at("name"), "campaign name is " + std::to_string(c.name.size()) +
                                " characters long; at most " + std::to_string(max_campaign_name) +
                                " (it is part of every store key)");
  int64_t seed = 1;
  r.positive(camp, "seed", seed, true);
  c.seed = static_cast<uint64_t>(seed);
  if (!camp.contains("tasks"))
    r.fail(camp, "missing required key 'tasks' in [campaign]");
  r.get(camp, "tasks", c.tasks);
  if (c.tasks.empty())
    r.fail(camp.at("tasks"), "'tasks' names no task files");
  r.positive(camp, "max_live_tasks", c.max_live_tasks, true);
  r.get(camp, "family_order", c.family_order);

  const auto& budget = reader::table_or_empty(root, "budget");
  r.only(budget, "budget", {"evaluations_per_task", "evaluations", "wall_minutes", "plateau"});
  r.positive(budget, "evaluations_per_task", c.evaluations_per_task);
  r.positive(budget, "evaluations", c.evaluations, true);
  r.within(budget, "wall_minutes", c.wall_minutes, 0.0, max_seconds / 60);
  r.positive(budget, "plateau", c.plateau, true);

  const auto& policy = reader::table_or_empty(root, "policy");
  r.only(policy, "policy", {"kind", "candidates_per_step", "explore", "second_change"});
  r.get(policy, "kind", c.policy);
  if (c.policy != "offline" && c.policy != "openai")
    r.fail(policy.at("kind"), "unknown policy '" + c.policy + "' (this build knows: offline, openai)");
  r.positive(policy, "candidates_per_step", c.candidates_per_step);
  r.number(policy, "explore", c.explore);
  r.fraction(policy, "explore", c.explore);
  r.number(policy, "second_change", c.second_change);
  r.fraction(policy, "second_change", c.second_change);

  const auto& mem = reader::table_or_empty(root, "memory");
  r.only(mem, "memory",
         {"enabled",
          "context_items",
          "lambda",
          "epsilon",
          "alpha",
          "cross_task",
          "use_values",
          "kb_items",
          "kb_temperature",
          "kb_use_penalty",
          "kb_confidence_samples",
          "kb_bound_match",
          "kb_family_match",
          "cross_family",
          "consolidate_every",
          "consolidate_min_ms",
          "insight_min_evidence",
          "retire_min_visits",
          "retire_below",
          "from"});
  r.get(mem, "enabled", c.memory_enabled);
  r.positive(mem, "context_items", c.context_items, true);
  r.positive(mem, "lambda", c.lambda);
  r.number(mem, "epsilon", c.epsilon);
  r.fraction(mem, "epsilon", c.epsilon);
  r.number(mem, "alpha", c.alpha);
  r.fraction(mem, "alpha", c.alpha);
  r.get(mem, "cross_task", c.cross_task);
  r.get(mem, "use_values", c.use_values);
  auto& ms = c.memory;
  r.positive(mem, "kb_items", ms.kb_items, true);
  r.number(mem, "kb_temperature", ms.kb_temperature);
  if (ms.kb_temperature <= 0)
    r.fail(mem.at("kb_temperature"), "key 'kb_temperature' must be positive");
  r.number(mem, "kb_use_penalty", ms.kb_use_penalty);
  if (ms.kb_use_penalty < 0)
    r.fail(mem.at("kb_use_penalty"), "key 'kb_use_penalty' must be zero or more");
  r.number(mem, "kb_confidence_samples", ms.kb_confidence_samples);
  if (ms.kb_confidence_samples <= 0)
    r.fail(mem.at("kb_confidence_samples"), "key 'kb_confidence_samples' must be positive");
  r.number(mem, "kb_bound_match", ms.kb_bound_match);
  r.fraction(mem, "kb_bound_match", ms.kb_bound_match);
  r.number(mem, "kb_family_match", ms.kb_family_match);
  r.fraction(mem, "kb_family_match", ms.kb_family_match);
  r.get(mem, "cross_family", ms.cross_family);
  r.positive(mem, "consolidate_every", ms.consolidate_every, true);
  r.positive(mem, "consolidate_min_ms", ms.consolidate_min_ms, true);
  r.positive(mem, "insight_min_evidence", ms.insight_min_evidence);
  r.positive(mem, "retire_min_visits", ms.retire_min_visits);
  r.number(mem, "retire_below", ms.retire_below);
  if (ms.retire_below < -1 || ms.retire_below > 1)
    r.fail(mem.at("retire_below"), "key 'retire_below' must be between -1 and 1");
  std::string from;
  r.get(mem, "from", from);
  ms.from = from;

  const auto& arch = reader::table_or_empty(root, "archive");
  r.only(arch, "archive", {"best", "diverse", "min_distance", "epsilon", "prior_scale"});
  r.positive(arch, "best", c.archive.best);
  r.positive(arch, "diverse", c.archive.diverse, true);
  r.positive(arch, "min_distance", c.archive.min_distance);
  r.number(arch, "epsilon", c.archive.epsilon);
  r.fraction(arch, "epsilon", c.archive.epsilon);
  r.number(arch, "prior_scale", c.archive.prior_scale);
  if (c.archive.prior_scale < 0)
    r.fail(arch.at("prior_scale"), "key 'prior_scale' must be zero or more");

  auto& vs = c.verifier;
  const auto& ver = reader::table_or_empty(root, "verifier");
  r.only(ver, "verifier",
         {"device",
          "compile_jobs",
          "cxx",
          "cxx_flags",
          "linker",
          "precompiled_headers",
          "seeds",
          "warmup",
          "min_runs",
          "max_runs",
          "target_ms",
          "flush_kib",
          "compile_timeout_s",
          "run_timeout_s",
          "run_memory_mib",
          "compile_memory_mib",
          "work_dir",
          "flag_speedup",
          "max_queue",
          "verdict_cache",
          "compile_cache_entries",
          "ci_width",
          "noise_threshold",
          "pin_timing",
          "timing_cores",
          "quiet_runs",
          "object_cache",
          "shared_objects",
          "final_rounds",
          "cold_cache",
          "gate_preprocess",
          "bypass",
          "reference_cache",
          "reference_memory_mib",
          "reference_attempts",
          "reference_backoff_s"});
  r.get(ver, "device", vs.device);
  if (!is_known_device(vs.device))
    r.fail(ver.at("device"), "unknown device '" + vs.device +
                                 "' (this build knows: cpu, null, null:sleep=MS, cuda, cuda:N, cuda:all)");
  r.positive(ver, "compile_jobs", vs.compile_jobs, true);
  const auto cores = std::max(1, static_cast<int32_t>(std::thread::hardware_concurrency()));
  if (vs.compile_jobs > compile_jobs_per_core * cores)
    r.fail(ver.at("compile_jobs"), "key 'compile_jobs' is " + std::to_string(vs.compile_jobs) +
                                       "; this machine has " + std::to_string(cores) + " cores, so at most " +
                                       std::to_string(compile_jobs_per_core * cores) + " (0 = one per core)");
  r.get(ver, "cxx", vs.cxx);
  r.get(ver, "cxx_flags", vs.cxx_flags);
  r.get(ver, "linker", vs.linker);
  static const std::set<std::string> linkers = {"gold", "bfd", "lld", "mold", "default"};
  if (linkers.count(vs.linker) == 0)
    r.fail(ver.at("linker"), "unknown linker '" + vs.linker + "' (gold, bfd, lld, mold or default)");
  r.get(ver, "precompiled_headers", vs.precompiled_headers);
  for (const auto& set : vs.precompiled_headers) {
    bool bad = set.empty();
    for (const auto& h : set)
      bad = bad || h.empty() || h.find("..") != std::string::npos ||
            h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./") !=
                std::string::npos;
    if (bad) {
      r.fail(ver.at("precompiled_headers"),
             "'precompiled_headers' must be a list of non-empty lists of header names like \"cmath\"");
      break;
    }
  }
  r.within(ver, "seeds", vs.seeds, min_seeds, max_seeds);
  r.positive(ver, "warmup", vs.warmup, true);
  r.positive(ver, "min_runs", vs.min_runs);
  r.positive(ver, "max_runs", vs.max_runs);
  if (vs.max_runs < vs.min_runs)
    r.fail(ver, "'max_runs' must be at least 'min_runs'");
  r.number(ver, "target_ms", vs.target_ms);
  r.positive(ver, "flush_kib", vs.flush_kib, true);
  r.number(ver, "compile_timeout_s", vs.compile_timeout_s);
  r.number(ver, "run_timeout_s", vs.run_timeout_s);
  if (vs.compile_timeout_s <= 0)
    r.fail(ver.at("compile_timeout_s"), "key 'compile_timeout_s' must be positive");
  if (vs.run_timeout_s <= 0)
    r.fail(ver.at("run_timeout_s"), "key 'run_timeout_s' must be positive");
  r.within(ver, "compile_timeout_s", vs.compile_timeout_s, 0.0, max_seconds);
  r.within(ver, "run_timeout_s", vs.run_timeout_s, 0.0, max_seconds);
  r.positive(ver, "run_memory_mib", vs.run_memory_mib);
  r.positive(ver, "compile_memory_mib", vs.compile_memory_mib);
  r.get(ver, "work_dir", vs.work_dir);
  r.number(ver, "flag_speedup", vs.flag_speedup);
  if (vs.flag_speedup <= 1)
    r.fail(ver.at("flag_speedup"), "key 'flag_speedup' must be above 1");
  r.positive(ver, "max_queue", vs.max_queue);
  r.get(ver, "verdict_cache", vs.verdict_cache);
  r.positive(ver, "compile_cache_entries", vs.compile_cache_entries, true);
  r.number(ver, "ci_width", vs.ci_width);
  r.fraction(ver, "ci_width", vs.ci_width);
  r.number(ver, "noise_threshold", vs.noise_threshold);
  r.fraction(ver, "noise_threshold", vs.noise_threshold);
  r.get(ver, "pin_timing", vs.pin_timing);
  {
    std::vector<double> listed;
    r.numbers(ver, "timing_cores", listed);
    auto allowed = hardware::allowed_cores();
    for (double core : listed) {
      bool ok = core == std::floor(core) &&
                std::find(allowed.begin(), allowed.end(), static_cast<int>(core)) != allowed.end();
      if (!ok) {
        std::string list;
        for (int a : allowed)
          list += (list.empty() ? "" : ", ") + std::to_string(a);
        char shown[32];
        std::snprintf(shown, sizeof(shown), "%.6g", core);
        r.fail(ver.at("timing_cores"), "key 'timing_cores' lists " + std::string{shown} +
                                           ", not a core this process may run on (" + list + ")");
      }
      vs.timing_cores.push_back(static_cast<int>(core));
    }
  }
  r.get(ver, "cold_cache", vs.cold_cache);
  r.get(ver, "gate_preprocess", vs.gate_preprocess);
  r.get(ver, "bypass", vs.bypass);
  if (vs.bypass != "reject" && vs.bypass != "allow")
    r.fail(ver.at("bypass"), "key 'bypass' must be \"reject\" or \"allow\", not '" + vs.bypass + "'");
  // A CPU host times on a core the compiles share (caches, a physical core): keep them apart.
  vs.quiet_runs = vs.device == "cpu";
  r.get(ver, "quiet_runs", vs.quiet_runs);
  r.get(ver, "object_cache", vs.object_cache);
  r.get(ver, "shared_objects", vs.shared_objects);
  r.positive(ver, "final_rounds", vs.final_rounds, true);
  r.get(ver, "reference_cache", vs.reference_cache);
  r.positive(ver, "reference_memory_mib", vs.reference_memory_mib);
  if (vs.reference_memory_mib > (int64_t{1} << 20))
    r.fail(ver.at("reference_memory_mib"), "key 'reference_memory_mib' must be at most 1048576 (1 TiB)");
  r.positive(ver, "reference_attempts", vs.reference_attempts);
  if (vs.reference_attempts > 100)
    r.fail(ver.at("reference_attempts"), "key 'reference_attempts' must be at most 100");
  r.number(ver, "reference_backoff_s", vs.reference_backoff_s);
  if (!(vs.reference_backoff_s >= 0) || vs.reference_backoff_s > 3600)
    r.fail(ver.at("reference_backoff_s"), "key 'reference_backoff_s' must be between 0 and 3600 seconds");
  if (vs.compile_jobs == 0)
    vs.compile_jobs = cores;

  parse_gpu_tables(r, root, c);

  const auto& store = reader::table_or_empty(root, "store");
  r.only(store, "store", {"path", "map_mib", "own_thread"});
  std::string path = ".kforge/" + c.name;
  r.get(store, "path", path);
  c.store_path = path;
  r.positive(store, "map_mib", c.store_map_mib);
  r.get(store, "own_thread", c.store_own_thread);

  const auto& machine = reader::table_or_empty(root, "machine");
  auto& mc = c.machine;
  r.only(machine, "machine",
         {"measure", "peak_gflops", "peak_gbps", "working_sets_kib", "stream_ms", "fma_ms",
          "latency_floor_us", "efficiency_buckets"});
  r.get(machine, "measure", mc.measure);
  r.number(machine, "peak_gflops", mc.peak_gflops);
  r.number(machine, "peak_gbps", mc.peak_gbps);
  if (mc.peak_gflops <= 0 || mc.peak_gbps <= 0)
    r.fail(machine, "machine peaks must be positive");
  r.numbers(machine, "working_sets_kib", mc.working_sets_kib);
  if (mc.working_sets_kib.empty() ||
      std::any_of(mc.working_sets_kib.begin(), mc.working_sets_kib.end(), [](double x) { return x < 4; }))
    r.fail(machine.at("working_sets_kib"), "key 'working_sets_kib' must list sizes of at least 4 KiB");
  r.number(machine, "stream_ms", mc.stream_ms);
  r.number(machine, "fma_ms", mc.fma_ms);
  if (mc.stream_ms <= 0 || mc.fma_ms <= 0)
    r.fail(machine, "'stream_ms' and 'fma_ms' must be positive");
  r.number(machine, "latency_floor_us", mc.latency_floor_us);
  if (mc.latency_floor_us < 0)
    r.fail(machine.at("latency_floor_us"), "key 'latency_floor_us' must be zero or more");
  r.numbers(machine, "efficiency_buckets", mc.efficiency_buckets);
  if (!std::is_sorted(mc.efficiency_buckets.begin(), mc.efficiency_buckets.end()))
    r.fail(machine.at("efficiency_buckets"), "key 'efficiency_buckets' must be ascending");

  // Relative paths are relative to the config file's directory.
  auto base = file.parent_path();
  parse_llm(r, root, base, c);
  parse_workers_table(r, root, base, c.workers);
  if (c.store_path.is_relative())
    c.store_path = (base / c.store_path).lexically_normal();
  if (!c.memory.from.empty() && c.memory.from.is_relative())
    c.memory.from = (base / c.memory.from).lexically_normal();
  if (!vs.work_dir.empty() && std::filesystem::path{vs.work_dir}.is_relative())
    vs.work_dir = (base / vs.work_dir).lexically_normal().string();
  return c;
}

}  // namespace

void parse_workers_table(const toml_reader& r, const toml_value& root, const std::filesystem::path& base,
                         workers_settings& w) {
  const auto& t = toml_reader::table_or_empty(root, "workers");
  r.only(t, "workers",
         {"listen", "secret_file", "tls", "allow_plaintext", "local", "local_slots", "heartbeat_ms",
          "deadline_ms"});
  r.get(t, "tls", w.tls);
  r.get(t, "listen", w.listen);
  std::string secret;
  r.get(t, "secret_file", secret);
  r.get(t, "allow_plaintext", w.allow_plaintext);
  r.get(t, "local", w.local);
  r.positive(t, "local_slots", w.local_slots);
  r.positive(t, "heartbeat_ms", w.heartbeat_ms);
  r.positive(t, "deadline_ms", w.deadline_ms);
  if (!w.enabled())
    return;
  auto endpoint = parse_endpoint(w.listen);
  if (!endpoint)
    r.fail(t.at("listen"), "key 'listen': " + describe(endpoint.error()));
  if (!is_loopback(endpoint->first) && !w.tls && !w.allow_plaintext)
    r.fail(t.at("listen"),
           "key 'listen' = \"" + w.listen +
               "\" is not a loopback address and tls = false: workers would talk plaintext; "
               "set tls = true, or allow_plaintext = true on a trusted network (docs/workers.md)");
  if (secret.empty())
    r.fail(t, "[workers] listen needs 'secret_file' (the campaign secret that workers must prove)");
  w.secret_file = std::filesystem::path{secret}.is_relative() ? (base / secret).lexically_normal()
                                                              : std::filesystem::path{secret};
  if (w.deadline_ms < w.heartbeat_ms)
    r.fail(t.at("deadline_ms"), "key 'deadline_ms' must be at least heartbeat_ms");
}

caf::expected<campaign_config> parse_campaign_config(const std::string& text,
                                                     const std::filesystem::path& name) {
  reader r{name.string()};
  return r.read(text, errc::bad_config, [&](const toml_value& root) { return parse(r, root, name, text); });
}

caf::expected<campaign_config> load_campaign_config(const std::filesystem::path& file) {
  auto text = toml_reader::slurp(file, errc::bad_config, "the config file");
  if (!text)
    return text.error();
  return parse_campaign_config(*text, std::filesystem::absolute(file).lexically_normal());
}

}  // namespace kforge::runtime
