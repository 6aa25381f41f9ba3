#include "hardware/native/cpu_device.hpp"

#include "hardware/native/precompiled_header.hpp"
#include "hardware/sandbox/sandbox.hpp"

#include "runtime/base/error.hpp"
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
  h.add(c.timing_cpu >= 0 ? "pinned" : "unpinned");  // not which core: leases differ per process
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

namespace {

int64_t bytes_of(const reference_data& ref) {
  int64_t n = 0;
  for (const auto* sets : {&ref.inputs, &ref.outputs})
    for (const auto& set : *sets)
      for (const auto& tensor : set)
        n += static_cast<int64_t>(tensor.size() * sizeof(float));
  return n;
}

}  // namespace

std::filesystem::path cpu_device::reference_file(const task_def& task) const {
  content_hasher h;
  h.add(task.reference_hash).add(signature_);
  return impl_.config().work_dir / "tasks" / task.id / ("reference-" + short_id(h.finish()) + ".bin");
}

std::shared_ptr<const reference_data> cpu_device::reference_of(const task_def& task) const {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    auto it = in_memory_.find(task.id);
    if (it != in_memory_.end() && it->second.ref->reference_hash == task.reference_hash) {
      uses_.splice(uses_.begin(), uses_, it->second.use);
      return it->second.ref;
    }
    if (on_disk_.count(task.id) == 0)
      return nullptr;
  }
  // Dropped from memory: read back (outside the lock; two threads may both read it, harmlessly).
  auto file = reference_file(task);
  auto bytes = read_text(file);
  if (!bytes) {
    log::logger{"kforge.verifier"}.warning("cannot read a prepared reference back",
                                           {{"task", task.id}, {"file", file.string()}});
    return nullptr;
  }
  auto ref = impl_.restore_reference(task, *bytes);
  if (!ref) {
    log::logger{"kforge.verifier"}.warning("a prepared reference's file does not restore",
                                           {{"task", task.id}, {"error", describe(ref.error())}});
    return nullptr;
  }
  auto shared = std::make_shared<const reference_data>(std::move(*ref));
  remember(shared);
  return shared;
}

void cpu_device::remember(const std::shared_ptr<const reference_data>& ref) const {
  const auto budget = impl_.config().reference_memory_bytes;
  std::lock_guard<std::mutex> lock{mutex_};
  if (auto it = in_memory_.find(ref->task_id); it != in_memory_.end()) {
    bytes_ -= it->second.bytes;
    uses_.erase(it->second.use);
    in_memory_.erase(it);
  }
  uses_.push_front(ref->task_id);
  auto& h = in_memory_[ref->task_id];
  h = held{ref, uses_.begin(), bytes_of(*ref)};
  bytes_ += h.bytes;
  // The newest stays even over budget; a dropped one lives on in whatever run still holds it.
  while (bytes_ > budget && uses_.size() > 1) {
    auto last = in_memory_.find(uses_.back());
    if (on_disk_.count(last->first) == 0)
      break;  // no file to read it back from: kept
    bytes_ -= last->second.bytes;
    in_memory_.erase(last);
    uses_.pop_back();
  }
}

std::pair<std::size_t, int64_t> cpu_device::references_in_memory() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return {in_memory_.size(), bytes_};
}

void cpu_device::keep(reference_data ref, const std::string& encoded) {
  auto shared = std::make_shared<const reference_data>(std::move(ref));
  const auto& task_id = shared->task_id;
  task_def key;
  key.id = task_id;
  key.reference_hash = shared->reference_hash;
  auto file = reference_file(key);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (auto err = place_text(file, encoded, 0600)) {
    log::logger{"kforge.verifier"}.warning("cannot write a prepared reference; it stays in memory",
                                           {{"task", task_id}, {"error", describe(err)}});
  } else {
    std::lock_guard<std::mutex> lock{mutex_};
    on_disk_.insert(task_id);
  }
  remember(shared);
}

caf::expected<reference_build> cpu_device::build_reference(const task_def& task, const std::string& cached) {
  reference_build out;
  if (auto ref = reference_of(task)) {
    // Prepared before in this process (a pool that forgot a transient failure asks again).
    out.restored = true;
    out.timing = ref->timing;
    return out;
  }
  if (!cached.empty()) {
    auto ref = impl_.restore_reference(task, cached);
    if (ref) {
      out.restored = true;
      out.timing = ref->timing;
      keep(std::move(*ref), cached);
      return out;
    }
    if (code_of(ref.error()) != errc::bad_request)
      return std::move(ref.error());  // the harness did not build: what a build would say too
    out.note = describe(ref.error());
  }
  auto program = impl_.build_reference(task);
  if (!program)
    return std::move(program.error());
  out.program.ok = program->ok;
  out.program.binary = program->binary.string();
  out.program.dir = program->dir.string();
  out.program.output = std::move(program->output);
  out.program.wall_ms = program->wall_ms;
  return out;
}

caf::expected<reference_run> cpu_device::run_reference(const task_def& task, const reference_build& built) {
  auto program = to_compile_result(built.program);
  auto ref = impl_.run_reference(task, program);
  if (!ref)
    return std::move(ref.error());
  reference_run out;
  out.timing = ref->timing;
  out.cache = impl_.encode_reference(*ref);
  keep(std::move(*ref), out.cache);
  return out;
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
  auto ref = reference_of(task);
  if (ref == nullptr)
    return make_error(errc::not_found, "task " + task.id + " is not prepared");
  return impl_.run(task, to_compile_result(compiled), *ref);
}

void cpu_device::discard(const build_result& compiled) const {
  auto c = to_compile_result(compiled);
  if (auto err = impl_.discard(c))
    log::logger{"kforge.verifier"}.warning("cannot remove a candidate's build",
                                           {{"dir", compiled.dir}, {"error", describe(err)}});
}

}  // namespace kforge::hardware
