#include "hardware/native/cpu_device.hpp"

#include "hardware/native/precompiled_header.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

namespace kforge::hardware {

namespace {

compile_result to_compile_result(const build_result& b) {
  compile_result c;
  c.ok = b.ok;
  c.binary = b.binary;
  c.dir = b.dir;
  c.output = b.output;
  c.wall_ms = b.wall_ms;
  return c;
}

}  // namespace

cpu_device::cpu_device(cpu_backend_config config, std::string compiler_version) : impl_(std::move(config)) {
  const auto& c = impl_.config();
  content_hasher h;
  h.add("cpu-v1").add(c.device).add(c.cxx).add(compiler_version);
  for (const auto& f : c.cxx_flags)
    h.add(f);
  for (const auto& f : c.harness_flags)
    h.add(f);
  for (const auto& f : c.link_flags)
    h.add(f);
  for (const auto& set : c.header_sets)
    h.add(header_set_text(set));
  for (auto n : {static_cast<int64_t>(c.seeds), static_cast<int64_t>(c.warmup),
                 static_cast<int64_t>(c.min_runs), static_cast<int64_t>(c.max_runs), c.flush_kib})
    h.add(std::to_string(n));
  for (double x : {c.target_ms, c.ci_width, c.flag_speedup, c.noise_threshold})
    h.add(std::to_string(x));
  h.add(std::to_string(c.timing_cpu));
  if (c.language != "cpp") {  // CUDA kernels (kept out of the CPU signature, so CPU caches stay valid)
    h.add(c.language);
    for (const auto& e : c.extra_env)
      h.add(e);
  }
  signature_ = h.finish();
}

gate_result cpu_device::hack_check(const task_def& task, const std::string& source) const {
  return impl_.hack_check(task, source);
}

caf::expected<timing_stats> cpu_device::prepare(const task_def& task) {
  auto it = references_.find(task.id);
  if (it != references_.end() && it->second.definition_hash == task.definition_hash)
    return it->second.timing;
  auto ref = impl_.prepare_task(task);
  if (!ref)
    return ref.error();
  auto timing = ref->timing;
  references_[task.id] = std::move(*ref);
  return timing;
}

caf::expected<build_result> cpu_device::compile(const task_def& task, const std::string& source,
                                                const std::string& cand_id) const {
  auto c = impl_.compile(task, source, cand_id);
  if (!c)
    return c.error();
  build_result b;
  b.ok = c->ok;
  b.binary = c->binary.string();
  b.dir = c->dir.string();
  b.output = std::move(c->output);
  b.wall_ms = c->wall_ms;
  return b;
}

caf::expected<verdict> cpu_device::run(const task_def& task, const build_result& compiled) {
  auto it = references_.find(task.id);
  if (it == references_.end())
    return make_error(errc::not_found, "task " + task.id + " is not prepared");
  return impl_.run(task, to_compile_result(compiled), it->second);
}

void cpu_device::discard(const build_result& compiled) const {
  auto c = to_compile_result(compiled);
  if (auto err = impl_.discard(c))
    log::logger{"kforge.verifier"}.warning("cannot remove a candidate's build",
                                           {{"dir", compiled.dir}, {"error", describe(err)}});
}

}  // namespace kforge::hardware
