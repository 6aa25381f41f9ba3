#include "actors/verifier/verifier_workers.hpp"

#include "actors/verifier/interleaved_measure.hpp"
#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <fstream>

namespace kforge::actors::detail {

namespace {

// The task `task_id` of the worker's catalog, or null: a catalog that lost a task (a load_atom
// that was no superset) must answer an error, not throw out of the handler.
const kforge::task_def* find_task(const worker_state& st, const std::string& task_id) {
  auto it = st.tasks->find(task_id);
  return it == st.tasks->end() ? nullptr : &it->second;
}

// Logs at debug level how long one piece of a worker's work took, when it ends: the figures
// behind "where does a verification's time go" (compile slots and run stage, per task).
class stage_timer {
 public:
  stage_timer(const char* stage, const std::string& task_id) : stage_(stage), task_id_(task_id) {}
  stage_timer(const stage_timer&) = delete;
  stage_timer& operator=(const stage_timer&) = delete;
  ~stage_timer() {
    if (!log::logger::enabled(log::level::debug))
      return;
    std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start_;
    log::logger{"kforge.verifier"}.debug("stage done",
                                         {{"stage", stage_}, {"task", task_id_}, {"ms", ms.count()}});
  }

 private:
  const char* stage_;
  const std::string& task_id_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

caf::error unknown_task(const std::string& task_id) {
  return make_error(errc::bad_request, "unknown task " + task_id);
}

// SHA-256 of the file at `path`, or empty when it cannot be read (a backend without a binary).
std::string file_hash(const std::string& path) {
  if (path.empty())
    return {};
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return {};
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::streamoff>(in.tellg());
  if (size < 0)
    return {};
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size))
    return {};
  content_hasher h;
  h.add("object").add(bytes);
  return h.finish();
}

// What the store caches for `task` on the backend's device and signature: "miss", "stale" (made
// for another definition), "unusable: <why>" (unreadable), or "hit" with the data in `data`.
// The read transaction ends before the build that uses the data.
std::string cached_reference(const memory::store& store, const std::string& signature,
                             const hardware::backend& backend, const kforge::task_def& task,
                             std::string& data) {
  auto tx = store.read();
  if (!tx)
    return "unusable: " + describe(tx.error());
  auto rec = memory::get_reference(*tx, signature, backend.device(), task.id);
  if (!rec)
    return code_of(rec.error()) == errc::not_found ? "miss" : "unusable: " + describe(rec.error());
  if (rec->reference_hash != task.reference_hash)
    return "stale";
  data = std::move(rec->data);
  return "hit";
}

}  // namespace

compile_worker::behavior_type compile_worker_behavior(compile_worker::stateful_pointer<worker_state> self,
                                                      std::shared_ptr<hardware::backend> backend,
                                                      std::shared_ptr<const kforge::task_map> tasks,
                                                      const memory::store* store,
                                                      std::string reference_signature) {
  self->state.backend = std::move(backend);
  self->state.tasks = std::move(tasks);
  self->state.store = store;
  self->state.reference_signature = std::move(reference_signature);
  return {
      [self](built_atom, const std::string& task_id,
             bool use_cache) -> caf::result<hardware::reference_build, std::string> {
        auto& st = self->state;
        const auto* task = find_task(st, task_id);
        if (task == nullptr)
          return unknown_task(task_id);
        stage_timer timer{"reference build", task_id};
        std::string cached;
        std::string outcome = "off";
        if (use_cache && st.store != nullptr) {
          outcome = cached_reference(*st.store, st.reference_signature, *st.backend, *task, cached);
        }
        auto built = st.backend->build_reference(*task, cached);
        if (!built)
          return built.error();
        if (outcome == "hit" && !built->restored)
          outcome = "unusable: " + built->note;
        return caf::result<hardware::reference_build, std::string>(std::move(*built), std::move(outcome));
      },
      [self](compiled_atom, const std::string& task_id, const std::string& cand_id,
             const std::string& source) -> caf::result<hardware::build_result> {
        const auto* task = find_task(self->state, task_id);
        if (task == nullptr)
          return unknown_task(task_id);
        // Gate 1 here, not in the pool actor: with a preprocessor or a parser in a sandbox it takes
        // ~80 ms, which the actor that schedules every candidate must not spend.
        stage_timer timer{"candidate compile", task_id};
        auto hack = self->state.backend->hack_check(*task, source);
        if (!hack.passed) {
          hardware::build_result refused;
          refused.rejected = hack.detail.empty() ? std::string{"refused by the hack gate"} : hack.detail;
          return refused;
        }
        auto built = self->state.backend->compile(*task, source, cand_id);
        if (!built)
          return built.error();
        // Hashed here, off the scheduler: the pool compares machine code, not sources.
        if (built->ok && built->object_hash.empty())
          built->object_hash = file_hash(built->binary);
        return std::move(*built);
      },
      [self](load_atom, std::shared_ptr<const kforge::task_map>& catalog) {
        self->state.tasks = std::move(catalog);
      },
  };
}

run_worker::behavior_type run_worker_behavior(run_worker::stateful_pointer<worker_state> self,
                                              std::shared_ptr<hardware::backend> backend,
                                              std::shared_ptr<const kforge::task_map> tasks) {
  self->state.backend = std::move(backend);
  self->state.tasks = std::move(tasks);
  return {
      [self](reference_atom, const std::string& task_id,
             const hardware::reference_build& built) -> caf::result<hardware::reference_run> {
        const auto* task = find_task(self->state, task_id);
        if (task == nullptr)
          return unknown_task(task_id);
        stage_timer timer{"reference run", task_id};
        auto ran = self->state.backend->run_reference(*task, built);
        if (!ran)
          return ran.error();
        return std::move(*ran);
      },
      [self](ran_atom, const std::string& task_id,
             const hardware::build_result& built) -> caf::result<kforge::verdict> {
        const auto* task = find_task(self->state, task_id);
        if (task == nullptr)
          return unknown_task(task_id);
        stage_timer timer{"candidate run", task_id};
        auto v = self->state.backend->run(*task, built);
        if (!v)
          return v.error();
        return std::move(*v);
      },
      [self](remeasure_atom, const verify_request& req, int32_t rounds) -> caf::result<interleaved_timing> {
        const auto* task = find_task(self->state, req.task_id);
        if (task == nullptr)
          return unknown_task(req.task_id);
        auto out = measure_interleaved(*self->state.backend, *task, req.source, rounds,
                                       "final-" + short_id(req.cand_hash));
        if (!out)
          return out.error();
        return std::move(*out);
      },
      [self](caf::delete_atom, const hardware::build_result& built) { self->state.backend->discard(built); },
      [self](load_atom, std::shared_ptr<const kforge::task_map>& catalog) {
        self->state.tasks = std::move(catalog);
      },
  };
}

}  // namespace kforge::actors::detail
