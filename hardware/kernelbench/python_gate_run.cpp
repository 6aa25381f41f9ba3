#include "hardware/kernelbench/python_gate_run.hpp"

#include "hardware/kernelbench/python_sources.hpp"
#include "hardware/sandbox/sandbox.hpp"
#include "hardware/sandbox/scratch_dir.hpp"

#include <system_error>

namespace kforge::hardware {

process_limits python_gate_settings::gate_limits() {
  process_limits l;
  l.wall_ms = 20'000;
  l.cpu_seconds = 10;
  l.address_space_bytes = int64_t{1} << 30;
  l.file_size_bytes = int64_t{16} << 20;
  l.processes = 16;
  l.open_files = 64;
  l.output_cap = 4 * 1024;
  return l;
}

caf::expected<python_gate_report> run_python_gate(const python_gate_settings& settings,
                                                  std::string_view source) {
  auto parent =
      settings.scratch_parent.empty() ? std::filesystem::temp_directory_path() : settings.scratch_parent;
  auto dir = scratch_dir::create(parent, "kbgate-");
  if (!dir)
    return std::move(dir.error());
  if (auto err = write_text(dir->path() / "gate.py", gate_py()))
    return err;
  if (auto err = write_text(dir->path() / "candidate.py", source))
    return err;
  sandbox_request req;
  req.argv = {settings.python, "-I", "-B", "gate.py", "candidate.py", "report.json"};
  req.cwd = dir->path();
  req.limits = settings.limits;
  req.hidden_paths = settings.hidden_paths;
  req.extra_env = {"PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0"};
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  if (!report->started)
    return make_error(errc::sandbox_failed, "cannot run " + settings.python + ": " + report->output);
  if (!report->is_success()) {
    python_gate_report r;
    r.violations.push_back("the gate's parser failed on this candidate: " +
                           program_output(*report, req.limits, "parser"));
    return r;
  }
  auto text = read_text(dir->path() / "report.json");
  if (!text) {
    python_gate_report r;
    r.violations.push_back("the gate's parser wrote no report: " + report->output);
    return r;
  }
  return judge_python_gate(*text);
}

gate_result hack_check_python(const task_def&, std::string_view source,
                              const python_gate_settings& settings) {
  auto report = run_python_gate(settings, source);
  if (!report)
    return gate_result{gate_hack, false, "the gate could not run its parser: " + describe(report.error())};
  return python_gate_result(*report);
}

}  // namespace kforge::hardware
