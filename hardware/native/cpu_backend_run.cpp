// The run stage of the CPU backend: one harness run per measurement, the
// checks of its result channel against the reference, and the re-measurement
// of noisy or implausibly fast timings.
#include "hardware/native/cpu_backend.hpp"

#include "hardware/channel/result_channel.hpp"
#include "hardware/gates/compare.hpp"
#include "hardware/gates/report_text.hpp"
#include "hardware/sandbox/sandbox.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "hardware/sandbox/unique_fd.hpp"
#include "runtime/base/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace kforge::hardware {

namespace {

std::string with_output(std::string text, const exit_report& report) {
  if (!report.output.empty())
    text += "; output:\n" + report.output;
  return text;
}

// Compares every output of `got` with `want`; appends "<where>, <detail>" lines for mismatches.
void check_outputs(const task_def& task, const std::string& where, const tensor_set& got,
                   const tensor_set& want, std::string& mismatches, double& max_error) {
  for (std::size_t o = 0; o < task.outputs.size(); ++o) {
    auto c = compare_tensor(task.outputs[o], got[o], want[o], task.atol, task.rtol);
    max_error = std::max(max_error, c.max_abs_error);
    if (c.passed)
      c = compare_norms(task.outputs[o], got[o], want[o], task.max_rel_error);
    if (!c.passed)
      mismatches += (mismatches.empty() ? "" : "\n") + where + ", " + c.detail;
  }
}

// Compares the inputs a call left behind with the generated ones; appends a line per changed input.
void check_inputs(const task_def& task, const std::string& where, const tensor_set& got,
                  const tensor_set& want, const std::string& who, std::string& mismatches) {
  for (std::size_t i = 0; i < task.inputs.size(); ++i) {
    auto c = compare_input(task.inputs[i], got[i], want[i]);
    if (!c.passed)
      mismatches += (mismatches.empty() ? "" : "\n") + where + ", " + who + " wrote into " + c.detail;
  }
}

}  // namespace

bool cpu_backend::is_implausible(const timing_stats& timing, double reference_ns) const noexcept {
  return config_.flag_speedup > 0 && reference_ns > 0 && timing.count > 0 &&
         timing.median_ns * config_.flag_speedup < reference_ns;
}

caf::expected<cpu_backend::execution> cpu_backend::execute(const task_def& task,
                                                           const std::filesystem::path& binary,
                                                           const std::vector<tensor_set>& inputs,
                                                           const std::vector<std::string>& prefix) const {
  auto dir = scratch_dir::create(config_.work_dir / "runs", "run-");
  if (!dir)
    return std::move(dir.error());
  for (std::size_t s = 0; s < inputs.size(); ++s) {
    if (auto err = write_tensor_file(dir->path() / input_file_name(static_cast<int>(s) + 1), inputs[s]))
      return err;
  }
  auto nonce = make_nonce();
  if (!nonce)
    return std::move(nonce.error());
  auto channel = create_channel(dir->path() / channel_file);
  if (!channel)
    return std::move(channel.error());
  execution exec;
  exec.params = params();
  exec.params.seeds = static_cast<int>(inputs.size());
  sandbox_request req;
  req.hidden_paths = config_.hidden_paths;
  req.extra_env = config_.extra_env;
  req.argv = prefix;
  req.argv.push_back(binary.string());
  for (auto& arg : harness_args(exec.params, *nonce))
    req.argv.push_back(std::move(arg));
  req.cwd = dir->path();
  req.limits = config_.run_limits;
  // The result channel is the one file a run writes, and its size is fixed by the task: the
  // file-size limit covers it (a large task's outputs of every seed can exceed the default).
  auto channel_cap = static_cast<int64_t>(max_channel_bytes(task, exec.params));
  if (req.limits.file_size_bytes > 0)
    req.limits.file_size_bytes = std::max(req.limits.file_size_bytes, channel_cap + (int64_t{1} << 20));
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  exec.report = std::move(*report);
  if (!exec.report.started)
    return make_error(errc::sandbox_failed, "cannot run " + binary.string() + ": " + exec.report.output);
  if (!exec.report.is_success()) {
    exec.problem = with_output(describe_exit(exec.report, req.limits), exec.report);
    return exec;
  }
  auto bytes = read_channel(channel->get(), max_channel_bytes(task, exec.params));
  if (!bytes) {
    exec.problem = with_output(channel_problem(bytes.error()), exec.report);
    return exec;
  }
  if (bytes->empty()) {
    exec.problem = with_output(
        "the program exited with code 0 before the harness reported anything: the result channel is empty "
        "(a kernel must return; exit, _exit and quick_exit end the run)",
        exec.report);
    return exec;
  }
  auto parsed = parse_channel(*bytes, *nonce, task, exec.params);
  if (!parsed) {
    exec.problem = with_output(channel_problem(parsed.error()), exec.report);
    return exec;
  }
  exec.result = std::move(*parsed);
  return exec;
}

caf::expected<cpu_backend::measurement> cpu_backend::measure(const task_def& task,
                                                             const std::filesystem::path& binary,
                                                             const reference_data& reference) const {
  auto exec = execute(task, binary, reference.inputs);
  if (!exec)
    return std::move(exec.error());
  measurement m;
  m.run_ms = exec->report.wall_ms;
  if (!exec->problem.empty()) {
    m.failure = std::move(exec->problem);
    return m;
  }
  const auto& got = exec->result;
  for (std::size_t s = 0; s < reference.inputs.size(); ++s) {
    auto where = "seed " + std::to_string(s + 1);
    check_outputs(task, where, got.outputs[s], reference.outputs[s], m.failure, m.max_abs_error);
    check_inputs(task, where, got.inputs_after[s], reference.inputs[s], "the kernel", m.failure);
  }
  for (std::size_t set = 0; set < got.timed_outputs.size(); ++set) {
    check_outputs(task, "after timing (seed " + std::to_string(set + 1) + ")", got.timed_outputs[set],
                  reference.outputs[set], m.failure, m.max_abs_error);
  }
  m.timing = summarize_timing(got.times_ns, config_.ci_width);
  m.pinned_cpu = got.pinned_cpu;
  return m;
}

caf::expected<verdict> cpu_backend::run(const task_def& task, const compile_result& compiled,
                                        const reference_data& reference) const {
  if (!compiled.ok) {
    auto v = failed_verdict(gate_compile, truncate_text(compiled.output, config_.detail_cap), config_.device);
    v.compile_ms = compiled.wall_ms;
    return v;
  }
  if (reference.reference_hash != task.reference_hash || reference.inputs.size() < 2 ||
      reference.outputs.size() != reference.inputs.size()) {
    return make_error(errc::bad_request,
                      "task " + task.id + ": the reference data belongs to another definition");
  }
  double run_ms = 0;
  auto finish = [&](verdict v) {
    v.compile_ms = compiled.wall_ms;
    v.run_ms = run_ms;
    v.reference_ns = reference.timing.median_ns;
    if (v.gates.size() > 1)
      v.gates[1].detail = truncate_text(compiled.output, config_.detail_cap);
    return v;
  };
  auto fail_correctness = [&](const std::string& detail, double max_error) {
    auto v = failed_verdict(gate_correctness, truncate_text(detail, config_.detail_cap), config_.device);
    v.max_abs_error = max_error;
    return finish(std::move(v));
  };
  auto first = measure(task, compiled.binary, reference);
  if (!first)
    return std::move(first.error());
  run_ms += first->run_ms;
  if (!first->failure.empty())
    return fail_correctness(first->failure, first->max_abs_error);
  verdict v;
  v.max_abs_error = first->max_abs_error;
  v.timing = first->timing;
  v.flagged = is_implausible(v.timing, reference.timing.median_ns);
  auto pinned = first->pinned_cpu;
  // A measurement that did not settle, or one too good to believe, is taken again by a second full
  // run (checked like the first), once.
  if (!v.timing.converged || v.flagged) {
    auto second = measure(task, compiled.binary, reference);
    if (!second)
      return std::move(second.error());
    run_ms += second->run_ms;
    if (!second->failure.empty())
      return fail_correctness("on re-measurement: " + second->failure, second->max_abs_error);
    v.first_timing = v.timing;
    v.timing = second->timing;
    v.timing.noisy = !v.timing.converged;
    v.timings_disagree = timings_disagree(v.first_timing, v.timing, config_.noise_threshold);
    v.flagged = v.flagged || is_implausible(v.timing, reference.timing.median_ns);
    v.max_abs_error = std::max(v.max_abs_error, second->max_abs_error);
    pinned = second->pinned_cpu;
  }
  if (v.timing.count == 0) {
    auto failed = failed_verdict(gate_latency, "no timed calls", config_.device);
    failed.max_abs_error = v.max_abs_error;
    return finish(std::move(failed));
  }
  std::string detail = "median " + micros(v.timing.median_ns) + ", min " + micros(v.timing.min_ns) +
                       ", 95 % CI of the median +-" + percent(v.timing.relative_ci()) + " over " +
                       std::to_string(v.timing.count) + " runs";
  if (pinned >= 0)
    detail += " on cpu " + std::to_string(pinned);
  if (v.is_remeasured()) {
    detail += "; re-measured (first: median " + micros(v.first_timing.median_ns) + ", +-" +
              percent(v.first_timing.relative_ci()) + ")";
  }
  if (v.flagged) {
    detail += "; FLAGGED for review: " + times(reference.timing.median_ns / v.timing.median_ns, true) +
              " faster than the reference (" + micros(reference.timing.median_ns) + "), above " +
              times(config_.flag_speedup, false);
  }
  if (v.timings_disagree)
    detail += "; the two measurements disagree by more than " + percent(config_.noise_threshold);
  if (v.timing.noisy)
    detail += "; noisy: the CI stayed wider than +-" + percent(config_.ci_width);
  if (config_.profile) {
    auto prof = profile(task, compiled, reference, v.timing.median_ns);
    if (prof)
      detail += "; profile: " + describe_profile(*prof);
  }
  v.device = config_.device;
  v.feasible = true;
  v.gates = {gate_result{gate_hack, true, {}}, gate_result{gate_compile, true, {}},
             gate_result{gate_correctness, true, {}},
             gate_result{gate_latency, true, truncate_text(std::move(detail), config_.detail_cap)}};
  return finish(std::move(v));
}

caf::expected<reference_data> cpu_backend::prepare_task(const task_def& task) const {
  auto program = build_reference(task);
  if (!program)
    return std::move(program.error());
  return run_reference(task, *program);
}

caf::expected<compile_result> cpu_backend::build_reference(const task_def& task) const {
  if (auto err = build_header_sets())
    return err;
  auto object = build_harness(task);
  if (!object)
    return std::move(object.error());
  auto compiled = compile(task, task.reference_source, "reference-" + task.id);
  if (!compiled)
    return std::move(compiled.error());
  if (!compiled->ok) {
    return make_error(compiled->timed_out ? errc::timed_out : errc::compile_failed,
                      "task " + task.id + ": the reference does not compile: " +
                          truncate_text(compiled->output, config_.detail_cap));
  }
  return std::move(*compiled);
}

caf::expected<reference_data> cpu_backend::run_reference(const task_def& task,
                                                         compile_result& program) const {
  reference_data ref;
  ref.task_id = task.id;
  ref.reference_hash = task.reference_hash;
  ref.harness_object = harness_object_path(task);
  for (int seed = 1; seed <= config_.seeds; ++seed)
    ref.inputs.push_back(generate_inputs(task, seed));
  auto* compiled = &program;
  auto fail = [&](const std::string& what) {
    return make_error(errc::reference_failed,
                      "task " + task.id + ": the reference " + truncate_text(what, config_.detail_cap));
  };
  // One checked run of the reference: its outputs are what candidates must match, so they must be
  // complete, leave the inputs alone and stay the same through the timing loop.
  auto measure_reference = [&]() -> caf::expected<timing_stats> {
    auto exec = execute(task, compiled->binary, ref.inputs);
    if (!exec)
      return std::move(exec.error());
    if (!exec->problem.empty() && exec->report.timed_out)
      return make_error(errc::timed_out, "task " + task.id + ": the reference " +
                                             truncate_text(exec->problem, config_.detail_cap));
    if (!exec->problem.empty())
      return fail(exec->problem);
    auto& got = exec->result;
    for (std::size_t s = 0; s < got.outputs.size(); ++s) {
      for (std::size_t o = 0; o < task.outputs.size(); ++o) {
        const auto& values = got.outputs[s][o];
        auto nan = std::count_if(values.begin(), values.end(), [](float x) { return std::isnan(x); });
        if (nan > 0) {
          return fail("leaves " + std::to_string(nan) + " elements of output " + task.outputs[o].name +
                      " NaN (seed " + std::to_string(s + 1) + ")");
        }
      }
      std::string changed;
      check_inputs(task, "seed " + std::to_string(s + 1), got.inputs_after[s], ref.inputs[s], "it", changed);
      if (!changed.empty())
        return fail("changes its inputs: " + changed);
    }
    std::string drift;
    double ignored = 0;
    for (std::size_t set = 0; set < got.timed_outputs.size(); ++set)
      check_outputs(task, "seed " + std::to_string(set + 1), got.timed_outputs[set], got.outputs[set], drift,
                    ignored);
    if (!drift.empty())
      return fail("gives another result after the timing loop: " + drift);
    if (ref.outputs.empty())
      ref.outputs = std::move(got.outputs);
    return summarize_timing(std::move(got.times_ns), config_.ci_width);
  };
  auto timing = measure_reference();
  if (timing && !timing->converged) {
    auto again = measure_reference();
    if (again) {
      timing = std::move(again);
      timing->noisy = !timing->converged;
    } else {
      timing = std::move(again.error());
    }
  }
  if (auto err = discard(*compiled))
    log::logger{"kforge.verifier"}.warning(describe(err), {{"task", task.id}});
  if (!timing)
    return std::move(timing.error());
  if (timing->count == 0)
    return fail("was not timed");
  ref.timing = *timing;
  return ref;
}

caf::expected<kernel_profile> cpu_backend::profile(const task_def& task, const compile_result& compiled,
                                                   const reference_data& reference, double median_ns) const {
  kernel_profile p;
  if (median_ns > 0) {
    p.achieved_gbps = task.bytes / median_ns;
    p.achieved_gflops = task.flops / median_ns;
    if (config_.peak_gbps > 0 && config_.peak_gflops > 0) {
      double floor_ns = std::max(task.bytes / config_.peak_gbps, task.flops / config_.peak_gflops);
      p.roofline_pct = 100.0 * floor_ns / median_ns;
    }
  }
  p.source = "roofline from time";
  if (config_.ncu.empty()) {
    p.note = "ncu not configured";
    return p;
  }
  std::vector<std::string> prefix = {
      config_.ncu,
      "--csv",
      "--target-processes",
      "all",
      "--launch-count",
      "1",
      "--metrics",
      "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed,sm__throughput.avg.pct_of_peak_"
      "sustained_"
      "elapsed,sm__warps_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum"};
  auto exec = execute(task, compiled.binary, reference.inputs, prefix);
  if (!exec)
    return std::move(exec.error());
  auto parsed = parse_ncu_csv(exec->report.output);
  if (parsed.source != "ncu") {
    auto out = exec->report.output;
    auto err = out.find("==ERROR==");
    p.note = err != std::string::npos ? out.substr(err, out.find('\n', err) - err)
                                      : (exec->problem.empty() ? "no metrics in its output" : exec->problem);
    p.note = truncate_text(p.note, 300);
    return p;
  }
  parsed.achieved_gbps = p.achieved_gbps;
  parsed.achieved_gflops = p.achieved_gflops;
  parsed.roofline_pct = p.roofline_pct;
  return parsed;
}

}  // namespace kforge::hardware
