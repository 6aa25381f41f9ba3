#include "hardware/native/cpu_backend.hpp"

#include "hardware/gates/hack_check.hpp"
#include "hardware/native/precompiled_header.hpp"
#include "hardware/sandbox/sandbox.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <algorithm>
#include <fstream>
#include <system_error>
#include <utility>

namespace kforge::hardware {

namespace {

constexpr int64_t gib = int64_t{1} << 30;
constexpr int64_t mib = int64_t{1} << 20;

}  // namespace

process_limits default_compile_limits() {
  process_limits limits;
  limits.wall_ms = 60'000;
  limits.cpu_seconds = 60;
  limits.address_space_bytes = 4 * gib;
  limits.file_size_bytes = 256 * mib;
  limits.open_files = 256;
  limits.processes = 1024;
  // Compiles may share the timing core; at niceness 10 they yield it to the timed run.
  limits.nice = 10;
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
  // Timing draws the inputs of every seed in random order and checks one timed call of each.
  config_.seeds = std::max(config_.seeds, 2);
  config_.min_runs = std::max(config_.min_runs, config_.seeds);  // every set timed at least once
  config_.max_runs = std::max(config_.max_runs, config_.min_runs);
  config_.warmup = std::max(config_.warmup, 0);
  if (config_.timing_cpu >= 0)
    config_.run_limits.cpu_affinity = config_.timing_cpu;
  if (config_.language != "cuda") {
    content_hasher h;
    h.add(harness_core_source()).add(config_.cxx);
    for (const auto& flag : config_.harness_flags)
      h.add(flag);
    core_object_ = config_.work_dir / "harness" / ("core-" + short_id(h.finish()) + ".o");
  }
}

gate_result cpu_backend::hack_check(const task_def& task, std::string_view source) const {
  const bool cuda = config_.language == "cuda";
  auto result = cuda ? hardware::hack_check_cuda(task, source) : hardware::hack_check(task, source);
  if (result.passed && !cuda && config_.gate_preprocess) {
    auto expanded = expand_macros(source);
    if (!expanded) {
      result = gate_result{gate_hack, false, "the source does not preprocess: " + describe(expanded.error())};
    } else {
      auto again = hardware::hack_check(task, *expanded);
      if (!again.passed)
        result = gate_result{gate_hack, false, "after macro expansion: " + again.detail};
    }
  }
  result.detail = truncate_text(std::move(result.detail), config_.detail_cap);
  return result;
}

caf::expected<std::string> cpu_backend::expand_macros(std::string_view source) const {
  // The includes were allowed by the lexical pass; blanking them (line numbers kept) expands only the
  // candidate's own macros, and fast. A directive split to hide from this fails under -nostdinc.
  std::string text;
  std::size_t at = 0;
  while (at <= source.size()) {
    auto end = source.find('\n', at);
    auto line = source.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    auto first = line.find_first_not_of(" \t");
    bool include = false;
    if (first != std::string_view::npos) {
      auto rest = line.substr(first);
      std::size_t hash = rest.rfind("%:", 0) == 0 ? 2 : (rest.rfind('#', 0) == 0 ? 1 : 0);
      if (hash > 0) {
        auto word = rest.find_first_not_of(" \t", hash);
        include = word != std::string_view::npos && rest.compare(word, 7, "include") == 0;
      }
    }
    if (!include)
      text += line;
    if (end == std::string_view::npos)
      break;
    text += '\n';
    at = end + 1;
  }
  auto dir = scratch_dir::create(config_.work_dir / "candidates", "gate-");
  if (!dir)
    return std::move(dir.error());
  if (auto err = write_text(dir->path() / "kernel.cpp", text))
    return err;
  sandbox_request req;
  req.hidden_paths = config_.hidden_paths;
  req.argv = {config_.cxx, "-std=c++17"};
  req.argv.insert(req.argv.end(), config_.cxx_flags.begin(), config_.cxx_flags.end());
  req.argv.insert(req.argv.end(), {"-nostdinc", "-E", "-P", "kernel.cpp", "-o", "expanded.ii"});
  req.cwd = dir->path();
  req.limits = config_.compile_limits;
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  if (!report->is_success()) {
    return make_error(errc::compile_failed,
                      truncate_text(program_output(*report, req.limits, "preprocessor"), config_.detail_cap));
  }
  auto expanded = read_text(dir->path() / "expanded.ii");
  if (!expanded)
    return make_error(errc::io_failed, "the preprocessor wrote no output");
  return std::move(*expanded);
}

std::string cpu_backend::generated_harness(const task_def& task) const {
  return config_.language == "cuda" ? harness_source_cuda(task) : harness_task_source(task);
}

harness_params cpu_backend::params() const {
  harness_params p;
  p.seeds = config_.seeds;
  p.warmup = config_.warmup;
  p.min_runs = config_.min_runs;
  p.max_runs = config_.max_runs;
  p.cap_ns = static_cast<int64_t>(config_.target_ms * 1e6);
  p.flush_bytes = config_.flush_kib * 1024;
  p.ci_width = config_.ci_width;
  return p;
}

std::filesystem::path cpu_backend::harness_object_path(const task_def& task) const {
  // Keyed by the generated text and its flags too: a work directory kept across kforge versions must
  // never link a candidate with a harness that speaks an older result protocol.
  content_hasher h;
  h.add(task.reference_hash).add(generated_harness(task)).add(config_.cxx).add(core_object_.string());
  for (const auto& flag : config_.harness_flags)
    h.add(flag);
  return config_.work_dir / "tasks" / task.id / ("harness-" + short_id(h.finish()) + ".o");
}

std::filesystem::path cpu_backend::header_set_path(std::size_t i) const {
  content_hasher h;
  h.add(header_set_text(config_.header_sets.at(i))).add(config_.cxx);
  for (const auto& flag : config_.cxx_flags)
    h.add(flag);
  return config_.work_dir / "pch" / short_id(h.finish()) / "set.hpp";
}

caf::error cpu_backend::build_header_sets() const {
  if (config_.language == "cuda")
    return {};  // nvcc: no precompiled headers
  std::error_code ec;
  for (std::size_t i = 0; i < config_.header_sets.size(); ++i) {
    auto header = header_set_path(i);
    auto gch = header;
    gch += ".gch";
    if (std::filesystem::is_regular_file(gch, ec))
      continue;
    std::filesystem::create_directories(header.parent_path().parent_path(), ec);
    auto build = scratch_dir::create(header.parent_path().parent_path(), "pch-build-");
    if (!build)
      return std::move(build.error());
    if (auto err = write_text(build->path() / "set.hpp", header_set_text(config_.header_sets[i])))
      return err;
    sandbox_request req;
    req.hidden_paths = config_.hidden_paths;
    req.argv = {config_.cxx, "-std=c++17"};
    req.argv.insert(req.argv.end(), config_.cxx_flags.begin(), config_.cxx_flags.end());
    req.argv.insert(req.argv.end(), {"-x", "c++-header", "set.hpp", "-o", "set.hpp.gch"});
    req.cwd = build->path();
    req.limits = config_.compile_limits;
    auto report = run_sandboxed(req);
    if (!report)
      return std::move(report.error());
    if (!report->is_success()) {
      // Not fatal: candidates are then compiled without it, only slower.
      log::logger{"kforge.verifier"}.warning(
          "cannot precompile a header set; compiling without it",
          {{"headers", header_set_text(config_.header_sets[i])},
           {"output", truncate_text(program_output(*report, req.limits, "compiler"), config_.detail_cap)}});
      continue;
    }
    // Publish the directory by rename: a compile never sees a half-written set. A concurrent builder
    // (another process on the same work dir) may have won; its copy is as good.
    std::filesystem::rename(build->path(), header.parent_path(), ec);
    if (!ec)
      (void)build->release();
    else if (!std::filesystem::is_regular_file(gch, ec))
      return make_error(errc::io_failed, "cannot place " + header.parent_path().string());
  }
  return {};
}

caf::error cpu_backend::compile_harness_object(const std::string& source, const std::string& source_name,
                                               const std::filesystem::path& object,
                                               const std::string& what) const {
  std::error_code ec;
  std::filesystem::create_directories(object.parent_path(), ec);
  auto build = scratch_dir::create(object.parent_path(), "harness-build-");
  if (!build)
    return std::move(build.error());
  if (auto err = write_text(build->path() / source_name, source))
    return err;
  sandbox_request req;
  req.hidden_paths = config_.hidden_paths;
  req.extra_env = config_.extra_env;
  req.argv = {config_.cxx, "-std=c++17"};
  req.argv.insert(req.argv.end(), config_.harness_flags.begin(), config_.harness_flags.end());
  req.argv.insert(req.argv.end(), {"-c", source_name, "-o", "harness.o"});
  req.cwd = build->path();
  req.limits = config_.compile_limits;
  auto report = run_sandboxed(req);
  if (!report)
    return std::move(report.error());
  if (!report->is_success()) {
    // A compile killed by its wall clock (a loaded machine) may pass on a retry; an error will not.
    return make_error(report->timed_out ? errc::timed_out : errc::compile_failed,
                      what + " does not compile: " +
                          truncate_text(program_output(*report, req.limits, "compiler"), config_.detail_cap));
  }
  // Publish the object (and its source, for people) by rename, so concurrent preparations never see half a
  // file.
  auto source_copy = object;
  source_copy.replace_extension(std::filesystem::path{source_name}.extension());
  std::filesystem::rename(build->path() / source_name, source_copy, ec);
  if (!ec)
    std::filesystem::rename(build->path() / "harness.o", object, ec);
  if (ec)
    return make_error(errc::io_failed, "cannot place " + object.string() + ": " + ec.message());
  return {};
}

caf::expected<std::filesystem::path> cpu_backend::build_harness(const task_def& task) const {
  std::error_code ec;
  // The core first, once for every task (the first preparations may race to build it: each
  // publishes the same object by rename).
  if (!core_object_.empty() && !std::filesystem::is_regular_file(core_object_, ec)) {
    if (auto err =
            compile_harness_object(harness_core_source(), "core.cpp", core_object_, "the harness core"))
      return err;
  }
  auto object = harness_object_path(task);
  if (std::filesystem::is_regular_file(object, ec))
    return object;
  const std::string source_name = config_.language == "cuda" ? "harness.cu" : "harness.cpp";
  if (auto err = compile_harness_object(generated_harness(task), source_name, object,
                                        "task " + task.id + ": the generated harness"))
    return err;
  return object;
}

std::vector<std::string> cpu_backend::compile_flags(std::string_view source) const {
  const bool cuda = config_.language == "cuda";
  std::vector<std::string> argv = {config_.cxx, "-std=c++17"};
  argv.insert(argv.end(), config_.cxx_flags.begin(), config_.cxx_flags.end());
  // Precompiled headers are g++'s: nvcc gets none.
  int set = cuda ? -1 : pick_header_set(config_.header_sets, included_headers(source));
  if (set >= 0) {
    auto header = header_set_path(static_cast<std::size_t>(set));
    auto gch = header;
    gch += ".gch";
    std::error_code ec;
    if (std::filesystem::is_regular_file(gch, ec))
      argv.insert(argv.end(), {"-include", header.string()});
  }
  return argv;
}

std::vector<std::string> cpu_backend::link_argv(const task_def& task, const std::string& kernel) const {
  std::vector<std::string> argv = {config_.cxx};
  if (config_.language != "cuda") {
    argv.insert(argv.end(), config_.link_flags.begin(), config_.link_flags.end());
    // Full RELRO, always: every GOT slot is bound at load and read-only before the harness's
    // constructor runs, so a kernel cannot redirect the harness's calls (clock_gettime, write).
    argv.insert(argv.end(), {"-Wl,-z,relro", "-Wl,-z,now"});
  }
  argv.insert(argv.end(), {"-o", "kernel", kernel, harness_object_path(task).string()});
  if (!core_object_.empty())
    argv.push_back(core_object_.string());
  argv.push_back("-lm");
  return argv;
}

std::vector<std::string> cpu_backend::compile_argv(const task_def& task, std::string_view source) const {
  auto argv = compile_flags(source);
  auto link = link_argv(task, config_.language == "cuda" ? "kernel.cu" : "kernel.cpp");
  argv.insert(argv.end(), link.begin() + 1, link.end());
  return argv;
}

std::filesystem::path cpu_backend::shared_object_path(const std::vector<std::string>& flags,
                                                      std::string_view source) const {
  content_hasher h;
  h.add("object-v1").add(source);
  for (const auto& flag : flags)
    h.add(flag);
  auto key = h.finish();
  return config_.work_dir / "objects" / key.substr(0, 2) / (key + ".o");
}

caf::expected<compile_result> cpu_backend::compile(const task_def& task, std::string_view source,
                                                   const std::string& cand_id) const {
  std::error_code ec;
  for (const auto& object : {harness_object_path(task), core_object_}) {
    if (!object.empty() && !std::filesystem::is_regular_file(object, ec))
      return make_error(errc::not_found, "task " + task.id + " is not prepared (no " + object.string() + ")");
  }
  auto dir = scratch_dir::create(config_.work_dir / "candidates", safe_name(cand_id) + "-");
  if (!dir)
    return std::move(dir.error());
  const bool cuda = config_.language == "cuda";
  const std::string kernel_name = cuda ? "kernel.cu" : "kernel.cpp";
  if (auto err = write_text(dir->path() / kernel_name, source))
    return err;
  compile_result result;
  auto sandboxed = [&](std::vector<std::string> argv) -> caf::expected<bool> {
    sandbox_request req;
    req.hidden_paths = config_.hidden_paths;
    req.extra_env = config_.extra_env;
    req.argv = std::move(argv);
    req.cwd = dir->path();
    req.limits = config_.compile_limits;
    auto report = run_sandboxed(req);
    if (!report)
      return std::move(report.error());
    if (!report->started)
      return make_error(errc::sandbox_failed, "cannot run the compiler: " + report->output);
    result.wall_ms += report->wall_ms;
    result.timed_out = result.timed_out || report->timed_out;
    result.output += program_output(*report, req.limits, "compiler");
    return report->is_success();
  };
  // A source compiled before, by any task (a family's reference, a knob setting two tasks drew), is
  // linked from its object: the object is kforge's copy of what the sandboxed compiler wrote,
  // under a name that hashes the source and every flag, so only the link is the task's own.
  caf::expected<bool> ok{false};
  if (cuda || !config_.shared_objects) {
    ok = sandboxed(compile_argv(task, source));
  } else {
    auto flags = compile_flags(source);
    auto shared = shared_object_path(flags, source);
    bool have = std::filesystem::is_regular_file(shared, ec);
    bool compiled = true;
    if (!have) {
      flags.insert(flags.end(), {"-c", kernel_name, "-o", "kernel.o"});
      auto c = sandboxed(std::move(flags));
      if (!c)
        return std::move(c.error());
      compiled = *c;
      if (compiled) {
        auto bytes = read_text(dir->path() / "kernel.o");
        std::filesystem::create_directories(shared.parent_path(), ec);
        have = bytes && !place_text(shared, *bytes, 0644);
        if (!have)  // not fatal: this candidate links its own object
          log::logger{"kforge.verifier"}.warning("cannot keep a compiled object",
                                                 {{"file", shared.string()}});
      }
    }
    ok = compiled ? sandboxed(link_argv(task, have ? shared.string() : "kernel.o"))
                  : caf::expected<bool>{false};
  }
  if (!ok)
    return std::move(ok.error());
  result.ok = *ok && std::filesystem::is_regular_file(dir->path() / "kernel", ec);
  if (result.ok) {
    result.dir = dir->release();
    result.binary = result.dir / "kernel";
  }
  log::logger{"kforge.verifier"}.debug(
      "compiled", {{"task", task.id}, {"cand", cand_id}, {"ok", result.ok}, {"ms", result.wall_ms}});
  return result;
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
