#include "runtime/campaign/campaign_launch.hpp"

#include "actors/verifier/verifier_router.hpp"
#include "hardware/null/null_device.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "hardware/tasks/task_memory.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/backends.hpp"
#include "runtime/campaign/campaign_setup.hpp"
#include "runtime/campaign/machine_roofline.hpp"

#include <caf/scoped_actor.hpp>

#include <optional>
#include <utility>

namespace kforge::runtime {

namespace {

// Asks the curator and waits for its reply: the caller's thread may block (see prepare_campaign).
template <class... Ts>
caf::expected<int64_t> ask_curator(caf::actor_system& sys, const actors::curator_actor& curator, Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<int64_t> out{int64_t{0}};
  self->request(curator, caf::infinite, std::forward<Ts>(xs)...)
      .receive([&](int64_t n) { out = n; }, [&](caf::error& err) { out = std::move(err); });
  return out;
}

}  // namespace

caf::error check_campaign_limits(const campaign_config& cfg, const kforge::task_map& tasks,
                                 std::optional<uint64_t> available_bytes) {
  const auto& file = cfg.file.string();
  int64_t total = 0;
  if (cfg.evaluations == 0 &&
      __builtin_mul_overflow(static_cast<int64_t>(tasks.size()), cfg.evaluations_per_task, &total))
    return make_error(errc::bad_config,
                      file + ": [budget] evaluations_per_task = " + std::to_string(cfg.evaluations_per_task) +
                          " times " + std::to_string(tasks.size()) +
                          " tasks overflows the campaign's evaluation count (a 64-bit integer)");
  if (hardware::null_sleep_ms(cfg.verifier.device) ||
      !available_bytes)  // the null device keeps no references
    return {};
  auto need = hardware::reference_memory_bytes(tasks, cfg.verifier.seeds);
  if (!need || *need > *available_bytes)
    return make_error(errc::bad_config,
                      file + ": [verifier] seeds = " + std::to_string(cfg.verifier.seeds) +
                          " input sets of its " + std::to_string(tasks.size()) + " tasks need " +
                          (need ? hardware::describe_bytes(*need) : std::string{"more than 16 EiB"}) +
                          " of kforge's own memory, more than this machine's " +
                          hardware::describe_bytes(*available_bytes) +
                          " available (MemAvailable); use fewer seeds or smaller tasks");
  return {};
}

caf::expected<std::shared_ptr<const kforge::task_map>> load_campaign_tasks(
    const campaign_config& cfg, std::vector<std::string>* left_out) {
  auto task_list = hardware::load_tasks(cfg.file.parent_path(), cfg.tasks);
  if (!task_list)
    return std::move(task_list.error());
  auto tasks = std::make_shared<kforge::task_map>();
  std::vector<std::string> refused;
  for (auto& t : *task_list) {
    if (t.backend != "cpu" && cfg.verifier.device == "cpu") {  // the null device serves any backend
      return make_error(errc::bad_config, t.file.string() + ": task " + t.id + " (backend " + t.backend +
                                              ") runs on a GPU; set [verifier] device = \"cuda\" in " +
                                              cfg.file.string());
    }
    if (cfg.policy == "offline" && t.template_source.empty()) {
      refused.push_back(t.id);
      continue;
    }
    auto id = t.id;
    tasks->emplace(std::move(id), std::move(t));
  }
  if (tasks->empty() && !refused.empty()) {
    return make_error(errc::bad_config,
                      cfg.file.string() + ": the offline policy has no candidate generator for any of the " +
                          std::to_string(refused.size()) +
                          " tasks (a model policy, [policy] kind = \"openai\", serves them)");
  }
  if (!refused.empty() && left_out == nullptr) {  // a caller that takes the list reports it itself
    log::logger{"kforge.campaign"}.warning(
        "tasks left out: the offline policy has no candidate generator for them",
        {{"campaign", cfg.name},
         {"count", static_cast<int64_t>(refused.size())},
         {"tasks", left_out_note(refused, tasks->size(), cfg.policy)}});
  }
  if (auto err = check_campaign_limits(cfg, *tasks, hardware::available_memory_bytes()))
    return err;
  if (left_out != nullptr)
    *left_out = std::move(refused);
  return std::shared_ptr<const kforge::task_map>{std::move(tasks)};
}

std::string left_out_note(const std::vector<std::string>& left_out, size_t loaded,
                          const std::string& policy) {
  if (left_out.empty())
    return {};
  std::string out = std::to_string(left_out.size()) + " of " + std::to_string(left_out.size() + loaded) +
                    " tasks left out (policy " + policy + " has no candidate generator for them):";
  for (std::size_t i = 0; i < left_out.size() && i < 8; ++i)
    out += " " + left_out[i];
  if (left_out.size() > 8)
    out += " ... (" + std::to_string(left_out.size() - 8) + " more)";
  return out;
}

caf::expected<campaign_prep> prepare_campaign(caf::actor_system& sys, memory::store& store,
                                              campaign_config cfg,
                                              std::shared_ptr<const kforge::task_map> tasks,
                                              const actors::curator_actor& curator,
                                              const prepare_options& opts, launch_step& failed) {
  campaign_prep prep;
  prep.tasks = std::move(tasks);

  // Warm from another store's memory, once per source; the curator writes it and tells the
  // retriever, so campaigns already running see the items at once.
  failed = launch_step::memory_import;
  if (!cfg.memory.from.empty()) {
    auto source = read_memory_source(store, cfg.memory.from);
    if (!source)
      return std::move(source.error());
    if (*source) {
      auto copied = ask_curator(sys, curator, import_atom_v, std::move(**source));
      if (!copied)
        return std::move(copied.error());
      prep.imported = *copied;
    }
  }

  // The roofline of the campaign's device: measured once, then cached in the store by the curator.
  failed = launch_step::roofline;
  std::optional<actors::peaks_record> fresh;
  auto roofline = prepare_roofline(store, cfg, opts.remeasure_peaks, prep.roofline_note, fresh);
  if (!roofline)
    return std::move(roofline.error());
  if (fresh) {
    auto written = ask_curator(sys, curator, peaks_atom_v, std::move(*fresh));
    if (!written)
      return std::move(written.error());
  }
  prep.roofline = std::move(*roofline);

  failed = launch_step::backends;
  if (opts.make_backends) {
    auto work_dir = cfg.verifier.work_dir.empty() ? cfg.store_path / "work"
                                                  : std::filesystem::path{cfg.verifier.work_dir};
    auto backends = make_backends(cfg, work_dir);
    if (!backends)
      return std::move(backends.error());
    prep.backends = std::move(*backends);
  }

  // The LLM proxy's settings (for openai: its prompt templates; an error names file:line:column).
  failed = launch_step::llm;
  auto lcfg = llm_proxy_config_of(cfg, store);
  if (!lcfg)
    return std::move(lcfg.error());
  prep.llm = std::move(*lcfg);
  auto techniques = techniques_of(cfg, *prep.tasks);
  if (!techniques)
    return std::move(techniques.error());
  prep.techniques = std::move(*techniques);
  prep.cfg = std::move(cfg);
  return prep;
}

actors::verifier_actor spawn_verifier_pools(caf::actor_system& sys,
                                            const std::vector<std::shared_ptr<hardware::backend>>& backends,
                                            std::shared_ptr<const kforge::task_map> tasks,
                                            const campaign_config& cfg, memory::store& store,
                                            const actors::curator_actor& curator) {
  auto vcfg = verifier_config_of(cfg);
  std::vector<actors::verifier_actor> pools;
  for (const auto& b : backends)
    pools.push_back(actors::spawn_verifier(sys, b, tasks, vcfg, &store, curator));
  return pools.size() == 1 ? pools.front() : actors::spawn_verifier_router(sys, pools, tasks);
}

launched_campaign spawn_campaign(caf::actor_system& sys, campaign_prep prep, const shared_actors& shared,
                                 progress_listener listener, std::chrono::milliseconds tick) {
  prep.llm.curator = shared.curator;
  auto llm = actors::spawn_llm_proxy(sys, prep.tasks, std::move(prep.llm));
  supervisor_setup setup{std::move(prep.cfg),      std::move(prep.tasks),
                         shared.retriever,         llm,
                         shared.verifier,          shared.curator,
                         std::move(listener),      tick,
                         std::move(prep.roofline), std::move(prep.techniques),
                         std::move(prep.owner)};
  return {spawn_supervisor(sys, std::move(setup)), llm};
}

}  // namespace kforge::runtime
