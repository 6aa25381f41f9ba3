#include "runtime/config.hpp"

#include <toml.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace kforge::runtime {

namespace {

// A config error with its position; thrown inside the parser only and turned
// into caf::error at the boundary (parse_campaign_config).
struct config_error {
  std::string message;
};

class reader {
 public:
  explicit reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::value& at, const std::string& what) const {
    auto loc = at.location();
    std::string where = file_;
    if (loc.line() > 0 && loc.file_name() != "unknown file")
      where += ":" + std::to_string(loc.line());
    throw config_error{where + ": " + what};
  }

  [[noreturn]] void fail(const std::string& what) const { throw config_error{file_ + ": " + what}; }

  // Rejects keys of `table` not in `known`, naming the line of the first one.
  void only(const toml::value& table, const std::string& name,
            std::initializer_list<const char*> known) const {
    if (!table.is_table())
      fail(table, "'" + name + "' must be a table");
    std::set<std::string> ok(known.begin(), known.end());
    for (const auto& [key, value] : table.as_table())
      if (ok.count(key) == 0)
        fail(value, "unknown key '" + key + "' in [" + name + "]");
  }

  template <class T>
  void get(const toml::value& table, const char* key, T& out) const {
    if (!table.is_table() || !table.contains(key))
      return;
    const auto& v = table.at(key);
    try {
      out = toml::get<T>(v);
    } catch (const std::exception&) {
      fail(v, "key '" + std::string{key} + "' must be " + type_name<T>());
    }
  }

  template <class T>
  void positive(const toml::value& table, const char* key, T& out, bool allow_zero = false) const {
    get(table, key, out);
    if (table.is_table() && table.contains(key) && (out < 0 || (!allow_zero && out == 0)))
      fail(table.at(key),
           "key '" + std::string{key} + "' must be " + (allow_zero ? "zero or more" : "positive"));
  }

  void fraction(const toml::value& table, const char* key, double& out) const {
    get(table, key, out);
    if (table.is_table() && table.contains(key) && (out < 0 || out > 1))
      fail(table.at(key), "key '" + std::string{key} + "' must be between 0 and 1");
  }

 private:
  template <class T>
  static std::string type_name() {
    if constexpr (std::is_same_v<T, bool>)
      return "true or false";
    else if constexpr (std::is_integral_v<T>)
      return "an integer";
    else if constexpr (std::is_floating_point_v<T>)
      return "a number";
    else if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else
      return "a list of strings";
  }

  std::string file_;
};

// toml11 reads integers as floats only on request: accept 5 where a number is wanted.
void get_number(const reader& r, const toml::value& table, const char* key, double& out) {
  if (!table.is_table() || !table.contains(key))
    return;
  const auto& v = table.at(key);
  if (v.is_integer())
    out = static_cast<double>(v.as_integer());
  else
    r.get(table, key, out);
}

// A list of numbers; integers are accepted.
void get_numbers(const reader& r, const toml::value& table, const char* key, std::vector<double>& out) {
  if (!table.is_table() || !table.contains(key))
    return;
  const auto& v = table.at(key);
  if (!v.is_array())
    r.fail(v, "key '" + std::string{key} + "' must be a list of numbers");
  std::vector<double> values;
  for (const auto& x : v.as_array()) {
    if (x.is_integer())
      values.push_back(static_cast<double>(x.as_integer()));
    else if (x.is_floating())
      values.push_back(x.as_floating());
    else
      r.fail(x, "key '" + std::string{key} + "' must be a list of numbers");
  }
  out = std::move(values);
}

const toml::value& table_or_empty(const toml::value& root, const char* name) {
  static const toml::value empty = toml::table{};
  return root.contains(name) ? root.at(name) : empty;
}

campaign_config parse(const toml::value& root, const std::filesystem::path& file, const std::string& text) {
  reader r{file.string()};
  campaign_config c;
  c.file = file;
  c.text = text;
  r.only(root, "top level",
         {"campaign", "budget", "policy", "memory", "verifier", "store", "machine", "archive"});
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

  const auto& budget = table_or_empty(root, "budget");
  r.only(budget, "budget", {"evaluations_per_task", "evaluations", "wall_minutes", "plateau"});
  r.positive(budget, "evaluations_per_task", c.evaluations_per_task);
  r.positive(budget, "evaluations", c.evaluations, true);
  get_number(r, budget, "wall_minutes", c.wall_minutes);
  if (c.wall_minutes < 0)
    r.fail(budget.at("wall_minutes"), "key 'wall_minutes' must be zero or more");
  r.positive(budget, "plateau", c.plateau, true);

  const auto& policy = table_or_empty(root, "policy");
  r.only(policy, "policy", {"kind", "candidates_per_step", "explore", "second_change"});
  r.get(policy, "kind", c.policy);
  if (c.policy != "offline")
    r.fail(policy.at("kind"), "unknown policy '" + c.policy + "' (this build knows: offline)");
  r.positive(policy, "candidates_per_step", c.candidates_per_step);
  get_number(r, policy, "explore", c.explore);
  r.fraction(policy, "explore", c.explore);
  get_number(r, policy, "second_change", c.second_change);
  r.fraction(policy, "second_change", c.second_change);

  const auto& mem = table_or_empty(root, "memory");
  r.only(mem, "memory",
         {"enabled", "context_items", "lambda", "epsilon", "alpha", "cross_task", "use_values", "kb_items",
          "kb_temperature", "kb_use_penalty", "kb_confidence_samples", "kb_bound_match", "kb_family_match",
          "cross_family", "consolidate_every", "insight_min_evidence", "retire_min_visits", "retire_below",
          "from"});
  r.get(mem, "enabled", c.memory_enabled);
  r.positive(mem, "context_items", c.context_items, true);
  r.positive(mem, "lambda", c.lambda);
  get_number(r, mem, "epsilon", c.epsilon);
  r.fraction(mem, "epsilon", c.epsilon);
  get_number(r, mem, "alpha", c.alpha);
  r.fraction(mem, "alpha", c.alpha);
  r.get(mem, "cross_task", c.cross_task);
  r.get(mem, "use_values", c.use_values);
  auto& ms = c.memory;
  r.positive(mem, "kb_items", ms.kb_items, true);
  get_number(r, mem, "kb_temperature", ms.kb_temperature);
  if (ms.kb_temperature <= 0)
    r.fail(mem.at("kb_temperature"), "key 'kb_temperature' must be positive");
  get_number(r, mem, "kb_use_penalty", ms.kb_use_penalty);
  if (ms.kb_use_penalty < 0)
    r.fail(mem.at("kb_use_penalty"), "key 'kb_use_penalty' must be zero or more");
  get_number(r, mem, "kb_confidence_samples", ms.kb_confidence_samples);
  if (ms.kb_confidence_samples <= 0)
    r.fail(mem.at("kb_confidence_samples"), "key 'kb_confidence_samples' must be positive");
  get_number(r, mem, "kb_bound_match", ms.kb_bound_match);
  r.fraction(mem, "kb_bound_match", ms.kb_bound_match);
  get_number(r, mem, "kb_family_match", ms.kb_family_match);
  r.fraction(mem, "kb_family_match", ms.kb_family_match);
  r.get(mem, "cross_family", ms.cross_family);
  r.positive(mem, "consolidate_every", ms.consolidate_every, true);
  r.positive(mem, "insight_min_evidence", ms.insight_min_evidence);
  r.positive(mem, "retire_min_visits", ms.retire_min_visits);
  get_number(r, mem, "retire_below", ms.retire_below);
  if (ms.retire_below < -1 || ms.retire_below > 1)
    r.fail(mem.at("retire_below"), "key 'retire_below' must be between -1 and 1");
  std::string from;
  r.get(mem, "from", from);
  ms.from = from;

  const auto& arch = table_or_empty(root, "archive");
  r.only(arch, "archive", {"best", "diverse", "min_distance", "epsilon", "prior_scale"});
  r.positive(arch, "best", c.archive.best);
  r.positive(arch, "diverse", c.archive.diverse, true);
  r.positive(arch, "min_distance", c.archive.min_distance);
  get_number(r, arch, "epsilon", c.archive.epsilon);
  r.fraction(arch, "epsilon", c.archive.epsilon);
  get_number(r, arch, "prior_scale", c.archive.prior_scale);
  if (c.archive.prior_scale < 0)
    r.fail(arch.at("prior_scale"), "key 'prior_scale' must be zero or more");

  auto& vs = c.verifier;
  const auto& ver = table_or_empty(root, "verifier");
  r.only(ver, "verifier",
         {"device",
          "compile_jobs",
          "cxx",
          "cxx_flags",
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
          "cold_cache"});
  r.get(ver, "device", vs.device);
  if (vs.device != "cpu")
    r.fail(ver.at("device"), "unknown device '" + vs.device + "' (this build knows: cpu)");
  r.positive(ver, "compile_jobs", vs.compile_jobs, true);
  r.get(ver, "cxx", vs.cxx);
  r.get(ver, "cxx_flags", vs.cxx_flags);
  r.positive(ver, "seeds", vs.seeds);
  r.positive(ver, "warmup", vs.warmup, true);
  r.positive(ver, "min_runs", vs.min_runs);
  r.positive(ver, "max_runs", vs.max_runs);
  if (vs.max_runs < vs.min_runs)
    r.fail(ver, "'max_runs' must be at least 'min_runs'");
  get_number(r, ver, "target_ms", vs.target_ms);
  r.positive(ver, "flush_kib", vs.flush_kib, true);
  get_number(r, ver, "compile_timeout_s", vs.compile_timeout_s);
  get_number(r, ver, "run_timeout_s", vs.run_timeout_s);
  if (vs.compile_timeout_s <= 0)
    r.fail(ver.at("compile_timeout_s"), "key 'compile_timeout_s' must be positive");
  if (vs.run_timeout_s <= 0)
    r.fail(ver.at("run_timeout_s"), "key 'run_timeout_s' must be positive");
  r.positive(ver, "run_memory_mib", vs.run_memory_mib);
  r.positive(ver, "compile_memory_mib", vs.compile_memory_mib);
  r.get(ver, "work_dir", vs.work_dir);
  get_number(r, ver, "flag_speedup", vs.flag_speedup);
  if (vs.flag_speedup <= 1)
    r.fail(ver.at("flag_speedup"), "key 'flag_speedup' must be above 1");
  r.positive(ver, "max_queue", vs.max_queue);
  r.get(ver, "verdict_cache", vs.verdict_cache);
  r.positive(ver, "compile_cache_entries", vs.compile_cache_entries, true);
  get_number(r, ver, "ci_width", vs.ci_width);
  r.fraction(ver, "ci_width", vs.ci_width);
  get_number(r, ver, "noise_threshold", vs.noise_threshold);
  r.fraction(ver, "noise_threshold", vs.noise_threshold);
  r.get(ver, "pin_timing", vs.pin_timing);
  r.get(ver, "cold_cache", vs.cold_cache);
  if (vs.compile_jobs == 0) {
    auto cores = static_cast<int32_t>(std::thread::hardware_concurrency());
    vs.compile_jobs = std::max(1, cores);
  }

  const auto& store = table_or_empty(root, "store");
  r.only(store, "store", {"path", "map_mib"});
  std::string path = ".kforge/" + c.name;
  r.get(store, "path", path);
  c.store_path = path;
  r.positive(store, "map_mib", c.store_map_mib);

  const auto& machine = table_or_empty(root, "machine");
  auto& mc = c.machine;
  r.only(machine, "machine",
         {"measure", "peak_gflops", "peak_gbps", "working_sets_kib", "stream_ms", "fma_ms",
          "latency_floor_us", "efficiency_buckets"});
  r.get(machine, "measure", mc.measure);
  get_number(r, machine, "peak_gflops", mc.peak_gflops);
  get_number(r, machine, "peak_gbps", mc.peak_gbps);
  if (mc.peak_gflops <= 0 || mc.peak_gbps <= 0)
    r.fail(machine, "machine peaks must be positive");
  get_numbers(r, machine, "working_sets_kib", mc.working_sets_kib);
  if (mc.working_sets_kib.empty() ||
      std::any_of(mc.working_sets_kib.begin(), mc.working_sets_kib.end(), [](double x) { return x < 4; }))
    r.fail(machine.at("working_sets_kib"), "key 'working_sets_kib' must list sizes of at least 4 KiB");
  get_number(r, machine, "stream_ms", mc.stream_ms);
  get_number(r, machine, "fma_ms", mc.fma_ms);
  if (mc.stream_ms <= 0 || mc.fma_ms <= 0)
    r.fail(machine, "'stream_ms' and 'fma_ms' must be positive");
  get_number(r, machine, "latency_floor_us", mc.latency_floor_us);
  if (mc.latency_floor_us < 0)
    r.fail(machine.at("latency_floor_us"), "key 'latency_floor_us' must be zero or more");
  get_numbers(r, machine, "efficiency_buckets", mc.efficiency_buckets);
  if (!std::is_sorted(mc.efficiency_buckets.begin(), mc.efficiency_buckets.end()))
    r.fail(machine.at("efficiency_buckets"), "key 'efficiency_buckets' must be ascending");

  // Relative paths are relative to the config file's directory.
  auto base = file.parent_path();
  if (c.store_path.is_relative())
    c.store_path = (base / c.store_path).lexically_normal();
  if (!c.memory.from.empty() && c.memory.from.is_relative())
    c.memory.from = (base / c.memory.from).lexically_normal();
  if (!vs.work_dir.empty() && std::filesystem::path{vs.work_dir}.is_relative())
    vs.work_dir = (base / vs.work_dir).lexically_normal().string();
  return c;
}

}  // namespace

caf::expected<campaign_config> parse_campaign_config(const std::string& text,
                                                     const std::filesystem::path& name) {
  try {
    std::istringstream in{text};
    auto root = toml::parse(in, name.string());
    return parse(root, name, text);
  } catch (const config_error& e) {
    return make_error(errc::bad_config, e.message);
  } catch (const toml::syntax_error& e) {
    auto loc = e.location();
    std::string first = e.what();
    // toml11 prints a multi-line excerpt; keep the message and the position.
    auto nl = first.find('\n');
    return make_error(errc::bad_config,
                      name.string() + ":" + std::to_string(loc.line()) +
                          ": syntax error: " + first.substr(0, nl) +
                          (nl == std::string::npos ? "" : " (" + std::string{first.substr(nl + 1)} + ")"));
  } catch (const std::exception& e) {
    return make_error(errc::bad_config, name.string() + ": " + e.what());
  }
}

caf::expected<campaign_config> load_campaign_config(const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    return make_error(errc::bad_config, file.string() + ": cannot open the config file");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_campaign_config(buf.str(), std::filesystem::absolute(file).lexically_normal());
}

}  // namespace kforge::runtime
