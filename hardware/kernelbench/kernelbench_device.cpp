#include "hardware/kernelbench/kernelbench_device.hpp"

#include "hardware/channel/result_channel.hpp"
#include "hardware/gates/report_text.hpp"
#include "hardware/kernelbench/harness.hpp"
#include "hardware/kernelbench/python_sources.hpp"
#include "hardware/sandbox/sandbox.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <system_error>

namespace kforge::hardware {

namespace {

// More than this is more than the harness writes (one JSON record of a few KiB and the end record).
constexpr std::size_t max_channel_bytes = std::size_t{4} << 20;

// The context of a kforge error without its code name.
std::string error_context(const caf::error& err) {
  auto text = describe(err);
  auto colon = text.find(": ");
  return colon == std::string::npos ? text : text.substr(colon + 2);
}

}  // namespace

kernelbench_device::kernelbench_device(kernelbench_config config) : config_(std::move(config)) {
  config_.compile_limits.output_cap = config_.output_cap;
  config_.run_limits.output_cap = config_.output_cap;
  content_hasher h;
  h.add("kernelbench-v1").add(config_.device).add(config_.python).add(config_.arch_list).add(harness_py());
  for (auto n : {static_cast<int64_t>(config_.trials), static_cast<int64_t>(config_.warmup),
                 static_cast<int64_t>(config_.runs), config_.seed, static_cast<int64_t>(config_.flush_mib)})
    h.add(std::to_string(n));
  signature_ = h.finish();
}

python_gate_settings kernelbench_device::gate_settings() const {
  python_gate_settings g;
  g.python = config_.gate_python;
  g.scratch_parent = config_.work_dir / "gate";
  g.hidden_paths = config_.hidden_paths;
  return g;
}

gate_result kernelbench_device::hack_check(const task_def&, const std::string& source) const {
  auto report = run_python_gate(gate_settings(), source);
  if (!report)
    return gate_result{gate_hack, false, "the gate could not run its parser: " + describe(report.error())};
  auto result = python_gate_result(*report);
  result.detail = truncate_text(std::move(result.detail), config_.detail_cap);
  return result;
}

caf::expected<std::filesystem::path> place_harness(const std::filesystem::path& work_dir) {
  content_hasher h;
  h.add(harness_py());
  auto path = work_dir / "kernelbench" / ("harness-" + short_id(h.finish()) + ".py");
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec))
    return path;
  std::filesystem::create_directories(path.parent_path(), ec);
  ::chmod(work_dir.c_str(), 0711);
  ::chmod(path.parent_path().c_str(), 0711);
  // Concurrent compiles of one process (and other processes) may get here at once: each writes
  // a temporary file of its own and renames it into place, so none sees a partial harness.
  if (auto err = place_text(path, harness_py(), 0644))
    return err;
  return path;
}

caf::expected<std::filesystem::path> kernelbench_device::harness_path() const {
  return place_harness(config_.work_dir);
}

caf::expected<kernelbench_device::outcome> kernelbench_device::execute(const std::string& mode,
                                                                       const task_def& task,
                                                                       const std::filesystem::path& dir,
                                                                       bool build) const {
  auto harness = harness_path();
  if (!harness)
    return std::move(harness.error());
  if (auto err = write_text(dir / "problem.py", task.reference_source))
    return err;
  auto nonce = make_nonce();
  if (!nonce)
    return std::move(nonce.error());
  std::error_code ec;
  std::filesystem::remove(dir / "nonce", ec);
  std::filesystem::remove(dir / "channel", ec);
  if (auto err =
          write_text(dir / "nonce", std::string_view{reinterpret_cast<const char*>(nonce->data()), 16}))
    return err;
  ::chmod((dir / "nonce").c_str(), 0644);
  auto channel = create_channel(dir / "channel");
  if (!channel)
    return std::move(channel.error());
  nlohmann::json settings = {{"seed", config_.seed},
                             {"trials", config_.trials},
                             {"warmup", config_.warmup},
                             {"runs", config_.runs},
                             {"flush_mib", config_.flush_mib},
                             {"keep_on_gpu_mib", config_.keep_on_gpu_mib},
                             {"max_rel_l2", config_.max_rel_l2},
                             {"min_spread_ratio", config_.min_spread_ratio},
                             {"input_sets", config_.input_sets}};
  if (auto o = config_.overrides.find(task.id); o != config_.overrides.end()) {
    settings["max_rel_l2"] = o->second.first;
    settings["min_spread_ratio"] = o->second.second;
  }
  sandbox_request req;
  req.hidden_paths = config_.hidden_paths;
  req.extra_env = config_.extra_env;
  req.extra_env.push_back("TORCH_EXTENSIONS_DIR=" + (dir / "ext").string());
  req.extra_env.push_back("TORCH_CUDA_ARCH_LIST=" + config_.arch_list);
  req.extra_env.push_back("CUDA_VISIBLE_DEVICES=" + (build ? std::string{} : config_.cuda_visible));
  req.extra_env.push_back("PYTHONUNBUFFERED=1");
  req.extra_env.push_back("PYTHONDONTWRITEBYTECODE=1");
  req.argv = {config_.python, "-I", "-B", harness->string(), mode, settings.dump()};
  req.cwd = dir;
  req.limits = build ? config_.compile_limits : config_.run_limits;
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  if (!report->started)
    return make_error(errc::sandbox_failed, "cannot run " + config_.python + ": " + report->output);
  outcome out;
  out.report = std::move(*report);
  if (!out.report.is_success()) {
    out.problem = program_output(out.report, req.limits, "harness");
    return out;
  }
  auto bytes = read_channel(channel->get(), max_channel_bytes);
  if (!bytes) {
    out.problem = channel_problem(bytes.error());
    return out;
  }
  auto json = parse_kernelbench_channel(*bytes, *nonce);
  if (!json) {
    out.problem =
        channel_problem(json.error()) +
        (bytes->empty() ? " (the program ended before the harness reported: a candidate must return)" : "") +
        "\n" + out.report.output;
    return out;
  }
  out.json = std::move(*json);
  return out;
}

caf::expected<reference_build> kernelbench_device::build_reference(const task_def& /*task*/,
                                                                   const std::string& /*cached*/) {
  // The trusted Python harness builds and runs the reference in one run-stage process; its
  // outputs stay in that process, so there is nothing to build here nor to restore.
  return reference_build{};
}

caf::expected<reference_run> kernelbench_device::run_reference(const task_def& task,
                                                               const reference_build& /*built*/) {
  if (auto it = references_.find(task.id);
      it != references_.end() && it->second.first == task.definition_hash)
    return reference_run{it->second.second, {}};
  auto dir = scratch_dir::create(config_.work_dir / "runs", "kbref-");
  if (!dir)
    return std::move(dir.error());
  auto out = execute("reference", task, dir->path(), false);
  if (!out)
    return std::move(out.error());
  auto fail = [&](const std::string& what) {
    return make_error(errc::reference_failed,
                      "task " + task.id + ": the reference " + truncate_text(what, config_.detail_cap));
  };
  if (!out->problem.empty())
    return fail(out->problem);
  auto result = decode_kernelbench_result(out->json);
  if (!result)
    return fail(error_context(result.error()));
  if (result->has_error)
    return fail("failed: " + result->error + "\n" + result->traceback);
  auto ns = result->times_ns;
  if (ns.empty())
    return fail("was not timed");
  auto timing = summarize_timing(std::move(ns), config_.ci_width);
  log::logger{"kforge.verifier"}.info("kernelbench reference timed", {{"task", task.id},
                                                                      {"median_us", timing.median_ns / 1e3},
                                                                      {"mean_us", timing.mean_ns / 1e3},
                                                                      {"gpu", result->device_name}});
  references_[task.id] = {task.definition_hash, timing};
  return reference_run{timing, {}};
}

caf::expected<build_result> kernelbench_device::compile(const task_def& task, const std::string& source,
                                                        const std::string& cand_id) const {
  auto dir = scratch_dir::create(config_.work_dir / "candidates", safe_name(cand_id) + "-");
  if (!dir)
    return std::move(dir.error());
  if (auto err = write_text(dir->path() / "candidate.py", source))
    return err;
  auto out = execute("build", task, dir->path(), true);
  if (!out)
    return std::move(out.error());
  build_result b;
  b.wall_ms = out->report.wall_ms;
  b.output = out->report.output;
  if (out->problem.empty()) {
    auto result = decode_kernelbench_result(out->json);
    b.ok = result && result->built;
    if (!result)
      b.output = "the harness " + error_context(result.error()) + "\n" + b.output;
    else if (!b.ok)
      b.output = (result->has_error ? result->error : std::string{"no result"}) + "\n" + result->traceback +
                 b.output;
  } else {
    b.output = out->problem;
  }
  b.output = truncate_text(std::move(b.output), config_.output_cap);
  if (b.ok) {
    b.dir = dir->release().string();
    b.binary = b.dir + "/candidate.py";
  }
  return b;
}

caf::expected<verdict> kernelbench_device::run(const task_def& task, const build_result& compiled) {
  if (!compiled.ok) {
    auto v = failed_verdict(gate_compile, truncate_text(compiled.output, config_.detail_cap), config_.device);
    v.compile_ms = compiled.wall_ms;
    return v;
  }
  auto found = references_.find(task.id);
  if (found == references_.end() || found->second.first != task.definition_hash)
    return make_error(errc::not_found, "task " + task.id + " is not prepared");
  const timing_stats& reference = found->second.second;
  auto bypass_verdict = [&](const std::string& why) {
    verdict v;
    v.device = config_.device;
    v.failed_gate = gate_bypass;
    v.gates = {gate_result{gate_hack, true, {}}, gate_result{gate_compile, true, {}},
               gate_result{gate_bypass, false, truncate_text(why, config_.detail_cap)}};
    v.compile_ms = compiled.wall_ms;
    v.reference_ns = reference.median_ns;
    return v;
  };
  if (config_.reject_bypass) {
    auto source = read_text(compiled.binary);
    if (!source)
      return make_error(errc::io_failed, "cannot read the candidate " + compiled.binary);
    auto report = run_python_gate(gate_settings(), *source);
    if (!report)
      return std::move(report.error());
    if (!report->bypass.empty())
      return bypass_verdict(report->bypass);
  }
  auto out = execute("candidate", task, compiled.dir, false);
  if (!out)
    return std::move(out.error());
  auto finish = [&](verdict v) {
    v.compile_ms = compiled.wall_ms;
    v.run_ms = out->report.wall_ms;
    v.reference_ns = reference.median_ns;
    return v;
  };
  auto wrong = [&](const std::string& detail, double max_error) {
    auto v = failed_verdict(gate_correctness, truncate_text(detail, config_.detail_cap), config_.device);
    v.max_abs_error = max_error;
    return finish(std::move(v));
  };
  if (!out->problem.empty())
    return wrong(out->problem, 0);
  auto result = decode_kernelbench_result(out->json);
  if (!result)
    return wrong("the harness " + error_context(result.error()), 0);
  if (result->has_error)
    return wrong("error: " + result->error + "\n" + result->traceback, 0);
  double max_error = result->max_abs_error;
  if (config_.reject_bypass && !result->bypass.empty()) {
    auto v = bypass_verdict(result->bypass);
    v.run_ms = out->report.wall_ms;
    return v;
  }
  if (!result->correct)
    return wrong(result->has_detail ? result->detail : std::string{"incorrect"}, max_error);
  auto ns = result->times_ns;
  verdict v;
  v.device = config_.device;
  v.max_abs_error = max_error;
  v.timing = summarize_timing(std::move(ns), config_.ci_width);
  if (v.timing.count == 0) {
    auto failed = failed_verdict(gate_latency, "no timed calls", config_.device);
    failed.max_abs_error = max_error;
    return finish(std::move(failed));
  }
  v.timing.noisy = !v.timing.converged;
  const auto& r = reference;
  v.flagged = config_.flag_speedup > 0 && v.timing.median_ns * config_.flag_speedup < r.median_ns;
  char buf[256];
  std::snprintf(
      buf, sizeof buf,
      "KernelBench protocol: %s; %d runs, median %s, mean %s; speedup over eager %.3fx (mean), %.3fx "
      "(median)",
      result->detail.c_str(), v.timing.count, micros(v.timing.median_ns).c_str(),
      micros(v.timing.mean_ns).c_str(), r.mean_ns / v.timing.mean_ns, r.median_ns / v.timing.median_ns);
  std::string detail = buf;
  if (v.flagged)
    detail += "; FLAGGED for review: faster than the reference by more than the flag threshold";
  v.feasible = true;
  v.gates = {gate_result{gate_hack, true, {}}, gate_result{gate_compile, true, {}},
             gate_result{gate_correctness, true, {}},
             gate_result{gate_latency, true, truncate_text(std::move(detail), config_.detail_cap)}};
  return finish(std::move(v));
}

void kernelbench_device::discard(const build_result& compiled) const {
  if (compiled.dir.empty())
    return;
  if (auto err = remove_tree(compiled.dir))
    log::logger{"kforge.verifier"}.warning("cannot remove a candidate's build",
                                           {{"dir", compiled.dir}, {"error", describe(err)}});
}

}  // namespace kforge::hardware
