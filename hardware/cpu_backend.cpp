#include "hardware/cpu_backend.hpp"

#include "hardware/compare.hpp"
#include "hardware/hack_check.hpp"
#include "hardware/sandbox.hpp"
#include "hardware/scratch_dir.hpp"
#include "runtime/hash.hpp"
#include "runtime/log.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <system_error>
#include <utility>

namespace kforge::hardware {

namespace {

constexpr int64_t gib = int64_t{1} << 30;
constexpr int64_t mib = int64_t{1} << 20;

// Candidate ids become directory names: keep them short and harmless.
std::string safe_name(const std::string& id) {
  std::string out;
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    out += ok ? c : '_';
    if (out.size() == 48)
      break;
  }
  return out.empty() ? "cand" : out;
}

caf::error write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out)
    return make_error(errc::io_failed, "cannot write " + path.string());
  return {};
}

// The captured output of a process, with how it ended when that was not a plain exit.
std::string program_output(const exit_report& report, const process_limits& limits, const std::string& what) {
  if (!report.started)
    return "could not start the " + what + ": " + report.output;
  std::string text;
  if (report.timed_out || report.term_signal != 0)
    text = what + " " + describe_exit(report, limits) + "\n";
  text += report.output;
  if (report.output_truncated)
    text += "\n[... output truncated]";
  return text;
}

// The context of a kforge error without its code name.
std::string context_of(const caf::error& err) {
  auto text = describe(err);
  auto colon = text.find(": ");
  return colon == std::string::npos ? text : text.substr(colon + 2);
}

std::string micros(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f us", ns / 1000.0);
  return buf;
}

}  // namespace

process_limits default_compile_limits() {
  process_limits limits;
  limits.wall_ms = 60'000;
  limits.cpu_seconds = 60;
  limits.address_space_bytes = 4 * gib;
  limits.file_size_bytes = 256 * mib;
  limits.open_files = 256;
  limits.processes = 1024;
  return limits;
}

process_limits default_run_limits() {
  process_limits limits;
  limits.wall_ms = 20'000;
  limits.cpu_seconds = 20;
  limits.address_space_bytes = 2 * gib;
  limits.file_size_bytes = 256 * mib;
  limits.open_files = 64;
  limits.processes = 256;
  return limits;
}

cpu_backend::cpu_backend(cpu_backend_config config) : config_(std::move(config)) {
  config_.compile_limits.output_cap = config_.output_cap;
  config_.run_limits.output_cap = config_.output_cap;
}

gate_result cpu_backend::hack_check(const task_def& task, std::string_view source) const {
  auto result = hardware::hack_check(task, source);
  result.detail = truncate_text(std::move(result.detail), config_.detail_cap);
  return result;
}

harness_params cpu_backend::params() const {
  harness_params p;
  p.seeds = config_.seeds;
  p.warmup = config_.warmup;
  p.min_runs = config_.min_runs;
  p.max_runs = config_.max_runs;
  p.target_ns = static_cast<int64_t>(config_.target_ms * 1e6);
  p.flush_bytes = config_.flush_kib * 1024;
  return p;
}

std::filesystem::path cpu_backend::harness_object_path(const task_def& task) const {
  return config_.work_dir / "tasks" / task.id / ("harness-" + short_id(task.definition_hash) + ".o");
}

caf::expected<std::filesystem::path> cpu_backend::build_harness(const task_def& task) const {
  auto object = harness_object_path(task);
  std::error_code ec;
  if (std::filesystem::is_regular_file(object, ec))
    return object;
  auto build = scratch_dir::create(object.parent_path(), "harness-build-");
  if (!build)
    return std::move(build.error());
  auto source = harness_source(task);
  if (auto err = write_text(build->path() / "harness.cpp", source))
    return err;
  sandbox_request req;
  req.argv = {config_.cxx, "-std=c++17"};
  req.argv.insert(req.argv.end(), config_.harness_flags.begin(), config_.harness_flags.end());
  req.argv.insert(req.argv.end(), {"-c", "harness.cpp", "-o", "harness.o"});
  req.cwd = build->path();
  req.limits = config_.compile_limits;
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  if (!report->is_success()) {
    return make_error(errc::compile_failed,
                      "task " + task.id + ": the generated harness does not compile: " +
                          truncate_text(program_output(*report, req.limits, "compiler"), config_.detail_cap));
  }
  // Publish the object (and its source, for people) by rename, so concurrent preparations never see half a
  // file.
  auto source_copy = object;
  source_copy.replace_extension(".cpp");
  std::filesystem::rename(build->path() / "harness.cpp", source_copy, ec);
  if (!ec)
    std::filesystem::rename(build->path() / "harness.o", object, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot place " + object.string() + ": " + ec.message());
  return object;
}

caf::expected<reference_data> cpu_backend::prepare_task(const task_def& task) const {
  auto object = build_harness(task);
  if (!object)
    return std::move(object.error());
  reference_data ref;
  ref.task_id = task.id;
  ref.definition_hash = task.definition_hash;
  ref.harness_object = *object;
  for (int seed = 1; seed <= config_.seeds; ++seed)
    ref.inputs.push_back(generate_inputs(task, seed));
  auto compiled = compile(task, task.reference_source, "reference-" + task.id);
  if (!compiled)
    return std::move(compiled.error());
  if (!compiled->ok) {
    return make_error(errc::compile_failed, "task " + task.id + ": the reference does not compile: " +
                                                truncate_text(compiled->output, config_.detail_cap));
  }
  auto exec = execute(task, compiled->binary, ref.inputs);
  if (auto err = discard(*compiled))
    log::logger{"kforge.verifier"}.warning(describe(err), {{"task", task.id}});
  if (!exec)
    return std::move(exec.error());
  auto fail = [&](const std::string& what) {
    return make_error(errc::reference_failed,
                      "task " + task.id + ": the reference " + truncate_text(what, config_.detail_cap));
  };
  if (!exec->problem.empty())
    return fail(exec->problem);
  for (std::size_t s = 0; s < exec->outputs.size(); ++s) {
    for (std::size_t o = 0; o < task.outputs.size(); ++o) {
      const auto& values = exec->outputs[s][o];
      auto nan = std::count_if(values.begin(), values.end(), [](float x) { return std::isnan(x); });
      if (nan > 0) {
        return fail("leaves " + std::to_string(nan) + " elements of output " + task.outputs[o].name +
                    " NaN (seed " + std::to_string(s + 1) + ")");
      }
    }
  }
  for (std::size_t o = 0; o < task.outputs.size(); ++o) {
    auto c =
        compare_tensor(task.outputs[o], exec->post_outputs[o], exec->outputs[0][o], task.atol, task.rtol);
    if (!c.passed)
      return fail("gives another result after the timing loop: " + c.detail);
  }
  if (exec->times_ns.empty())
    return fail("was not timed: " + exec->timing_problem);
  ref.outputs = std::move(exec->outputs);
  ref.timing = summarize_timing(std::move(exec->times_ns));
  return ref;
}

caf::expected<compile_result> cpu_backend::compile(const task_def& task, std::string_view source,
                                                   const std::string& cand_id) const {
  auto object = harness_object_path(task);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(object, ec)) {
    return make_error(errc::not_found, "task " + task.id + " is not prepared (no " + object.string() + ")");
  }
  auto dir = scratch_dir::create(config_.work_dir / "candidates", safe_name(cand_id) + "-");
  if (!dir)
    return std::move(dir.error());
  if (auto err = write_text(dir->path() / "kernel.cpp", source))
    return err;
  sandbox_request req;
  req.argv = {config_.cxx, "-std=c++17"};
  req.argv.insert(req.argv.end(), config_.cxx_flags.begin(), config_.cxx_flags.end());
  req.argv.insert(req.argv.end(), {"-o", "kernel", "kernel.cpp", object.string(), "-lm"});
  req.cwd = dir->path();
  req.limits = config_.compile_limits;
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  if (!report->started) {
    return make_error(errc::sandbox_failed, "cannot run the compiler: " + report->output);
  }
  compile_result result;
  result.wall_ms = report->wall_ms;
  result.output = program_output(*report, req.limits, "compiler");
  result.ok = report->is_success() && std::filesystem::is_regular_file(dir->path() / "kernel", ec);
  if (result.ok) {
    result.dir = dir->release();
    result.binary = result.dir / "kernel";
  }
  log::logger{"kforge.verifier"}.debug(
      "compiled", {{"task", task.id}, {"cand", cand_id}, {"ok", result.ok}, {"ms", result.wall_ms}});
  return result;
}

caf::expected<cpu_backend::execution> cpu_backend::execute(const task_def& task,
                                                           const std::filesystem::path& binary,
                                                           const std::vector<tensor_set>& inputs) const {
  auto dir = scratch_dir::create(config_.work_dir / "runs", "run-");
  if (!dir)
    return std::move(dir.error());
  for (std::size_t s = 0; s < inputs.size(); ++s) {
    auto seed = static_cast<int>(s) + 1;
    if (auto err = write_tensor_file(dir->path() / input_file_name(seed), inputs[s]))
      return err;
  }
  auto p = params();
  p.seeds = static_cast<int>(inputs.size());
  sandbox_request req;
  req.argv = {binary.string()};
  for (auto& arg : harness_args(p))
    req.argv.push_back(std::move(arg));
  req.cwd = dir->path();
  req.limits = config_.run_limits;
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  execution exec;
  exec.report = std::move(*report);
  if (!exec.report.started)
    return make_error(errc::sandbox_failed, "cannot run " + binary.string() + ": " + exec.report.output);
  if (!exec.report.is_success()) {
    exec.problem = describe_exit(exec.report, req.limits);
    if (!exec.report.output.empty())
      exec.problem += "; output:\n" + exec.report.output;
    return exec;
  }
  auto read_outputs = [&](const std::string& name, tensor_set& out) {
    auto tensors = read_tensor_file(dir->path() / name, task.outputs);
    if (tensors) {
      out = std::move(*tensors);
      return true;
    }
    exec.problem = "wrote no usable output file " + name + " (" + context_of(tensors.error()) + ")";
    return false;
  };
  for (std::size_t s = 0; s < inputs.size(); ++s) {
    exec.outputs.emplace_back();
    if (!read_outputs(output_file_name(static_cast<int>(s) + 1), exec.outputs.back()))
      return exec;
  }
  if (!read_outputs(post_output_file, exec.post_outputs))
    return exec;
  auto times = read_timing_file(dir->path() / timing_file);
  if (times) {
    exec.times_ns = std::move(*times);
    if (exec.times_ns.empty())
      exec.timing_problem = "no timed calls";
  } else {
    exec.timing_problem = timing_file + std::string{" "} + context_of(times.error());
  }
  return exec;
}

caf::expected<verdict> cpu_backend::run(const task_def& task, const compile_result& compiled,
                                        const reference_data& reference) const {
  if (!compiled.ok) {
    auto v = failed_verdict(gate_compile, truncate_text(compiled.output, config_.detail_cap), config_.device);
    v.compile_ms = compiled.wall_ms;
    return v;
  }
  if (reference.definition_hash != task.definition_hash || reference.inputs.empty()) {
    return make_error(errc::bad_request,
                      "task " + task.id + ": the reference data belongs to another definition");
  }
  auto exec = execute(task, compiled.binary, reference.inputs);
  if (!exec)
    return std::move(exec.error());
  auto finish = [&](verdict v) {
    v.compile_ms = compiled.wall_ms;
    v.run_ms = exec->report.wall_ms;
    if (v.gates.size() > 1)
      v.gates[1].detail = truncate_text(compiled.output, config_.detail_cap);
    return v;
  };
  auto fail_correctness = [&](const std::string& detail, double max_error) {
    auto v = failed_verdict(gate_correctness, truncate_text(detail, config_.detail_cap), config_.device);
    v.max_abs_error = max_error;
    return finish(std::move(v));
  };
  if (!exec->problem.empty())
    return fail_correctness(exec->problem, 0);
  std::string mismatches;
  double max_error = 0;
  auto check = [&](const std::string& where, const tensor_set& got, const tensor_set& want) {
    for (std::size_t o = 0; o < task.outputs.size(); ++o) {
      auto c = compare_tensor(task.outputs[o], got[o], want[o], task.atol, task.rtol);
      max_error = std::max(max_error, c.max_abs_error);
      if (!c.passed)
        mismatches += (mismatches.empty() ? "" : "\n") + where + ", " + c.detail;
    }
  };
  for (std::size_t s = 0; s < exec->outputs.size(); ++s) {
    check("seed " + std::to_string(s + 1), exec->outputs[s], reference.outputs[s]);
  }
  check("after timing (seed 1)", exec->post_outputs, reference.outputs[0]);
  if (!mismatches.empty())
    return fail_correctness(mismatches, max_error);
  if (exec->times_ns.empty()) {
    auto v =
        failed_verdict(gate_latency, truncate_text("no timings: " + exec->timing_problem, config_.detail_cap),
                       config_.device);
    v.max_abs_error = max_error;
    return finish(std::move(v));
  }
  verdict v;
  v.device = config_.device;
  v.feasible = true;
  v.max_abs_error = max_error;
  v.timing = summarize_timing(std::move(exec->times_ns));
  v.gates = {gate_result{gate_hack, true, {}}, gate_result{gate_compile, true, {}},
             gate_result{gate_correctness, true, {}},
             gate_result{gate_latency, true,
                         "median " + micros(v.timing.median_ns) + ", min " + micros(v.timing.min_ns) +
                             " over " + std::to_string(v.timing.count) + " runs"}};
  return finish(std::move(v));
}

caf::error cpu_backend::discard(compile_result& compiled) const {
  auto dir = std::exchange(compiled.dir, {});
  compiled.binary.clear();
  if (dir.empty())
    return {};
  return remove_tree(dir);
}

caf::expected<verdict> cpu_backend::evaluate(const task_def& task, std::string_view source,
                                             const std::string& cand_id,
                                             const reference_data& reference) const {
  auto hack = hack_check(task, source);
  if (!hack.passed)
    return failed_verdict(gate_hack, std::move(hack.detail), config_.device);
  auto compiled = compile(task, source, cand_id);
  if (!compiled)
    return std::move(compiled.error());
  auto result = run(task, *compiled, reference);
  if (auto err = discard(*compiled)) {
    log::logger{"kforge.verifier"}.warning(describe(err), {{"task", task.id}, {"cand", cand_id}});
  }
  return result;
}

}  // namespace kforge::hardware
