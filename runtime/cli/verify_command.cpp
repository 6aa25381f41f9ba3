// kforge verify FILE --task T, kforge tasks check PATH...: one candidate's verdict, or the
// references of task files, on a backend made as `kforge run` makes it, with no campaign and
// no store. Everything here runs on the main thread: blocking is allowed.

#include "runtime/cli/cli_io.hpp"
#include "runtime/cli/commands.hpp"

#include "hardware/cuda/cuda_discovery.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/scoring.hpp"
#include "runtime/campaign/backends.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>

namespace kforge::runtime {

namespace {

using json = nlohmann::json;

json timing_json(const kforge::timing_stats& t) {
  return json{{"median_ns", t.median_ns},   {"min_ns", t.min_ns},
              {"mean_ns", t.mean_ns},       {"stddev_ns", t.stddev_ns},
              {"ci_half_ns", t.ci_half_ns}, {"count", t.count},
              {"converged", t.converged},   {"noisy", t.noisy}};
}

// The device a task runs on when --device is not given: its backend's own.
std::string default_device(const kforge::task_def& task) {
  return task.backend == "cpu" ? "cpu" : "cuda";
}

bool is_cuda(const std::string& device) {
  return device == "cuda" || device.rfind("cuda:", 0) == 0;
}

// The settings a verification uses: the [verifier], [cuda] and [kernelbench] tables of
// `config` when one is named, else the defaults; the device from `device`. Errors: those of
// load_campaign_config.
caf::expected<campaign_config> settings_of(const std::filesystem::path& config, const std::string& device,
                                           const std::filesystem::path& work_dir) {
  campaign_config cfg;
  if (!config.empty()) {
    auto loaded = load_campaign_config(config);
    if (!loaded)
      return std::move(loaded.error());
    cfg = std::move(*loaded);
  } else {
    cfg.file = "--device";
    cfg.store_path = work_dir / "no-store";
  }
  cfg.verifier.device = device;
  return cfg;
}

// Why `device` cannot take `task`, or "" when it can.
std::string mismatch(const kforge::task_def& task, const std::string& device) {
  if (task.backend == "cpu" && device != "cpu")
    return "task " + task.id + " is a CPU task; it runs on device cpu, not " + device;
  if (task.backend != "cpu" && !is_cuda(device))
    return "task " + task.id + " (backend " + task.backend + ") runs on a cuda device, not " + device;
  return {};
}

// A clear line when no GPU can be used, before any backend is made; "" when one can.
std::string cuda_problem(const std::string& device) {
  if (!is_cuda(device))
    return {};
  auto env = hardware::discover_cuda();
  if (env.usable())
    return {};
  auto why = env.problem;
  if (why.rfind("no CUDA device", 0) != 0)
    why = "no CUDA device (" + why + ")";
  return "device " + device + ": " + why;
}

// One backend per device name, made on first use; its failure is kept and reported per task.
class backend_set {
 public:
  backend_set(std::filesystem::path config, std::filesystem::path work_dir)
      : config_(std::move(config)), work_dir_(std::move(work_dir)) {}

  caf::expected<std::shared_ptr<hardware::backend>> get(const std::string& device) {
    auto it = made_.find(device);
    if (it != made_.end())
      return it->second;
    auto made = make(device);
    made_.emplace(device, made);
    return made;
  }

 private:
  caf::expected<std::shared_ptr<hardware::backend>> make(const std::string& device) {
    if (auto why = cuda_problem(device); !why.empty())
      return make_error(errc::bad_config, why);
    auto cfg = settings_of(config_, device, work_dir_);
    if (!cfg)
      return std::move(cfg.error());
    return make_backend(*cfg, work_dir_ / hardware::safe_name(device));
  }

  std::filesystem::path config_;
  std::filesystem::path work_dir_;
  std::map<std::string, caf::expected<std::shared_ptr<hardware::backend>>> made_;
};

// "family kb_matmul, inputs A[4096x4096] B[4096x4096], offline generator": what a task is.
std::string summary(const kforge::task_def& task) {
  std::string out = "family " + task.family + ", inputs";
  if (task.inputs.empty())
    out += " -";
  for (const auto& t : task.inputs) {
    out += " " + t.name + "[";
    for (std::size_t i = 0; i < t.shape.size(); ++i)
      out += (i == 0 ? "" : "x") + std::to_string(t.shape[i]);
    out += "]";
  }
  return out + (task.template_source.empty() ? ", no offline generator" : ", offline generator");
}

// The exit code of a verdict (README, "Exit codes of verify").
int verdict_code(const kforge::verdict& v) {
  if (v.is_timed())
    return 0;
  if (v.failed_gate == kforge::gate_hack)
    return 3;
  if (v.failed_gate == kforge::gate_compile)
    return 4;
  if (v.failed_gate == kforge::gate_correctness)
    return 5;
  if (v.failed_gate == kforge::gate_bypass)
    return 7;
  return 6;
}

struct verify_result {
  kforge::task_def task;
  std::string candidate;
  kforge::timing_stats reference;
  kforge::verdict verdict;
  double speedup = 0;
};

void print_verdict(std::ostream& os, const verify_result& r) {
  const auto& v = r.verdict;
  os << "task          " << r.task.id << "  (" << r.task.backend << ", " << r.task.file.string() << ")\n"
     << "candidate     " << r.candidate << '\n'
     << "device        " << v.device << '\n'
     << "verdict       "
     << (v.is_timed() ? "passed every gate"
         : v.feasible ? "correct, not timed"
                      : "infeasible")
     << (v.failed_gate.empty() ? "" : ", failed gate " + v.failed_gate) << (v.flagged ? ", flagged" : "")
     << '\n';
  print_gates(os, v);
  if (v.max_abs_error > 0)
    os << "max |error|   " << v.max_abs_error << '\n';
  print_timing(os, "reference     ", r.reference);
  print_timing(os, "candidate     ", v.timing);
  print_timing(os, "first timing  ", v.first_timing);
  os << "speedup       " << (r.speedup > 0 ? three_digits(r.speedup) + "x over the reference" : "-") << '\n'
     << "wall          compile " << three_digits(v.compile_ms) << " ms, run " << three_digits(v.run_ms)
     << " ms\n";
}

json verdict_json(const verify_result& r, int code) {
  const auto& v = r.verdict;
  json gates = json::array();
  for (const auto& g : v.gates)
    gates.push_back(json{{"gate", g.gate}, {"passed", g.passed}, {"detail", g.detail}});
  return json{{"task", r.task.id},
              {"task_file", r.task.file.string()},
              {"backend", r.task.backend},
              {"candidate", r.candidate},
              {"device", v.device},
              {"feasible", v.feasible},
              {"timed", v.is_timed()},
              {"failed_gate", v.failed_gate},
              {"flagged", v.flagged},
              {"gates", std::move(gates)},
              {"max_abs_error", v.max_abs_error},
              {"reference", timing_json(r.reference)},
              {"timing", timing_json(v.timing)},
              {"first_timing", timing_json(v.first_timing)},
              {"timings_disagree", v.timings_disagree},
              {"speedup", r.speedup},
              {"compile_ms", v.compile_ms},
              {"run_ms", v.run_ms},
              {"exit_code", code}};
}

// The verdict of `source` for `task` on `be`: gate 1, the reference, gates 2 to 4.
// Errors: those of prepare (the task's own reference), compile and run (kforge's failures).
caf::expected<verify_result> judge(hardware::backend& be, const kforge::task_def& task,
                                   const std::string& source) {
  verify_result r;
  r.task = task;
  auto hack = be.hack_check(task, source);
  if (!hack.passed) {
    r.verdict = kforge::failed_verdict(kforge::gate_hack, hack.detail, be.device());
    return r;
  }
  auto reference = be.prepare(task);
  if (!reference)
    return std::move(reference.error());
  r.reference = *reference;
  auto built = be.compile(task, source, "verify");
  if (!built)
    return std::move(built.error());
  if (!built->ok) {
    r.verdict = kforge::failed_verdict(kforge::gate_compile, built->output, be.device());
    r.verdict.compile_ms = built->wall_ms;
    be.discard(*built);
    return r;
  }
  auto v = be.run(task, *built);
  be.discard(*built);
  if (!v)
    return std::move(v.error());
  r.verdict = std::move(*v);
  r.verdict.compile_ms = built->wall_ms;
  if (r.verdict.is_timed())
    r.speedup = kforge::speedup(r.reference.median_ns, r.verdict.timing.median_ns);
  return r;
}

// The work directory of one command: $TMPDIR/kforge-verify-XXXXXX, removed at the end.
caf::expected<hardware::scratch_dir> work_dir() {
  const char* tmp = std::getenv("TMPDIR");
  return hardware::scratch_dir::create(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "kforge-verify-");
}

}  // namespace

int verify_command(const verify_options& opts) {
  auto task = hardware::load_task_file(opts.task);
  if (!task) {
    std::cerr << "kforge: verify: " << describe(task.error()) << '\n';
    return 2;
  }
  auto source = hardware::read_text(opts.file);
  if (!source) {
    std::cerr << "kforge: verify: " << opts.file.string() << ": cannot read the candidate\n";
    return 2;
  }
  auto device = opts.device.empty() ? default_device(*task) : opts.device;
  if (auto why = mismatch(*task, device); !why.empty()) {
    std::cerr << "kforge: verify: " << why << '\n';
    return 2;
  }
  auto dir = work_dir();
  if (!dir) {
    std::cerr << "kforge: verify: " << describe(dir.error()) << '\n';
    return 1;
  }
  backend_set backends{opts.config, dir->path()};
  auto be = backends.get(device);
  if (!be) {
    std::cerr << "kforge: verify: " << describe(be.error()) << '\n';
    return code_of(be.error()) == errc::bad_config ? 2 : 1;
  }
  auto r = judge(**be, *task, *source);
  if (!r) {
    const auto ec = code_of(r.error());
    const bool task_fault = ec == errc::reference_failed || ec == errc::compile_failed;
    std::cerr << "kforge: verify: " << (task_fault ? "the task's reference failed: " : "")
              << describe(r.error()) << '\n';
    return task_fault ? 2 : 1;
  }
  r->candidate = opts.file.string();
  const int code = verdict_code(r->verdict);
  if (opts.json)
    std::cout << verdict_json(*r, code).dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  else
    print_verdict(std::cout, *r);
  std::cout << std::flush;
  return code;
}

int tasks_check_command(const tasks_check_options& opts) {
  std::vector<std::filesystem::path> files;
  for (const auto& p : opts.paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::set<std::filesystem::path> in_dir;
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        const auto ext = e.path().extension().string();
        if (e.is_regular_file(ec) && (ext == ".toml" || ext == ".py"))
          in_dir.insert(e.path());
      }
      if (in_dir.empty()) {
        std::cerr << "kforge: tasks check: " << p.string() << ": no task file (*.toml, *.py) in it\n";
        return 2;
      }
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::cerr << "kforge: tasks check: " << p.string() << ": no such file or directory\n";
      return 2;
    }
  }
  auto dir = work_dir();
  if (!dir) {
    std::cerr << "kforge: tasks check: " << describe(dir.error()) << '\n';
    return 1;
  }
  backend_set backends{opts.config, dir->path()};
  std::map<std::string, std::filesystem::path> ids;
  std::size_t problems = 0;
  std::size_t skipped = 0;
  for (const auto& file : files) {
    auto task = hardware::load_task_file(file);
    if (!task) {
      std::cout << "FAIL  " << describe(task.error()) << '\n';
      ++problems;
      continue;
    }
    auto [seen, fresh] = ids.emplace(task->id, file);
    if (!fresh) {
      std::cout << "FAIL  " << file.string() << ": duplicate task id '" << task->id << "' (also in "
                << seen->second.string() << ")\n";
      ++problems;
      continue;
    }
    if (opts.parse_only) {
      std::cout << "ok    " << task->id << "  " << file.string() << "  (" << summary(*task) << ")\n";
      continue;
    }
    auto device = opts.device.empty() ? default_device(*task) : opts.device;
    if (auto why = mismatch(*task, device); !why.empty()) {
      std::cout << "skip  " << task->id << "  " << file.string() << ": " << why << '\n';
      ++skipped;
      continue;
    }
    auto be = backends.get(device);
    if (!be) {
      std::cout << "skip  " << task->id << "  " << file.string() << ": " << describe(be.error()) << '\n';
      ++skipped;
      continue;
    }
    auto reference = (*be)->prepare(*task);
    if (!reference) {
      std::cout << "FAIL  " << task->id << "  " << file.string()
                << ": reference: " << describe(reference.error()) << '\n';
      ++problems;
      continue;
    }
    std::cout << "ok    " << task->id << "  " << file.string() << "  reference "
              << latency_text(reference->median_ns) << " on " << device << '\n';
  }
  std::cout << files.size() << " task files: " << files.size() - problems - skipped << " ok, " << problems
            << " with problems, " << skipped << " not run here\n"
            << std::flush;
  return problems > 0 ? 2 : 0;
}

}  // namespace kforge::runtime
