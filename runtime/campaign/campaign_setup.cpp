#include "runtime/campaign/campaign_setup.hpp"

#include "actors/curator/insight_index.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/retriever/memory_index.hpp"
#include "memory/store_check.hpp"

#include "runtime/base/error.hpp"

#include <caf/scheduler/abstract_coordinator.hpp>

#include <memory>
#include <set>
#include <utility>

namespace kforge::runtime {

actors::ranking_config ranking_of(const campaign_config& cfg) {
  actors::ranking_config r;
  r.lambda = cfg.lambda;
  r.epsilon = cfg.epsilon;
  r.use_values = cfg.use_values;
  r.cross_task = cfg.cross_task;
  r.enabled = cfg.memory_enabled;
  r.kb_temperature = cfg.memory.kb_temperature;
  r.kb_use_penalty = cfg.memory.kb_use_penalty;
  r.kb_confidence_samples = cfg.memory.kb_confidence_samples;
  r.kb_bound_match = cfg.memory.kb_bound_match;
  r.kb_family_match = cfg.memory.kb_family_match;
  r.cross_family = cfg.memory.cross_family;
  return r;
}

actors::curator_config curator_config_of(const campaign_config& cfg) {
  actors::curator_config c;
  c.values.alpha = cfg.alpha;
  c.consolidation.every = cfg.memory_enabled ? cfg.memory.consolidate_every : 0;
  c.consolidation.min_interval_ms = cfg.memory.consolidate_min_ms;
  c.consolidation.min_evidence = cfg.memory.insight_min_evidence;
  c.consolidation.retire_min_visits = cfg.memory.retire_min_visits;
  c.consolidation.retire_below = cfg.memory.retire_below;
  return c;
}

caf::expected<memory_actors> spawn_memory(caf::actor_system& sys, memory::store& store,
                                          const campaign_config& cfg) {
  const auto ranking = ranking_of(cfg);
  const auto curation = curator_config_of(cfg);
  auto index = std::make_shared<actors::memory_index>(ranking);
  std::shared_ptr<actors::insight_index> insights;
  if (curation.consolidation.every > 0)
    insights = std::make_shared<actors::insight_index>(curation.consolidation);
  {
    auto tx = store.read();
    if (!tx)
      return std::move(tx.error());
    // The writable open refused a short file, so the references' pages cannot fault (skip them).
    auto err = memory::check_records(*tx, memory::reference_pages::skip,
                                     [&](memory::memory_item&& item) -> caf::error {
                                       if (insights)
                                         insights->update(item);
                                       index->put(item);
                                       return {};
                                     });
    if (err)
      return err;
  }
  store.release_resident();
  memory_actors out;
  out.retriever = actors::spawn_retriever(sys, std::move(index), ranking);
  // The curator runs on the scheduler, not on a thread of its own, where the scheduler has two
  // threads or more: its fsync then holds one of them for a millisecond a commit, but a third busy
  // thread on a 2-core machine cost more (the null device's 100-task campaign: 13,400 -> 15,500
  // eval/s, docs/bench-scale.md section 13). A one-thread scheduler must never block, and a disk
  // whose fsync is slow ([store] own_thread = true) would hold a scheduler thread most of the time.
  bool detached = cfg.store_own_thread || sys.scheduler().num_workers() < 2;
  out.curator = actors::spawn_curator(sys, store, out.retriever, curation, detached, std::move(insights));
  return out;
}

actors::verifier_config verifier_config_of(const campaign_config& cfg) {
  actors::verifier_config v;
  v.compile_jobs = cfg.verifier.compile_jobs;
  v.max_queue = cfg.verifier.max_queue;
  v.verdict_cache = cfg.verifier.verdict_cache;
  v.compile_cache_entries = cfg.verifier.compile_cache_entries;
  v.flag_speedup = cfg.verifier.flag_speedup;
  v.noise = cfg.verifier.noise_threshold;
  v.quiet_runs = cfg.verifier.quiet_runs;
  v.object_cache = cfg.verifier.object_cache;
  v.reference_cache = cfg.verifier.reference_cache;
  v.reference_attempts = cfg.verifier.reference_attempts;
  v.reference_backoff =
      std::chrono::milliseconds{static_cast<int64_t>(cfg.verifier.reference_backoff_s * 1000)};
  return v;
}

caf::expected<actors::llm_proxy_config> llm_proxy_config_of(const campaign_config& cfg,
                                                            memory::store& store) {
  actors::llm_proxy_config l;
  l.policy = cfg.policy;
  l.offline.explore = cfg.explore;
  l.offline.second_change = cfg.second_change;
  if (cfg.policy != "openai")
    return l;
  auto loaded = actors::prompt_builder::load(cfg.llm.prompts_dir);
  if (!loaded)
    return std::move(loaded.error());
  l.prompts = std::make_shared<const actors::prompt_builder>(std::move(*loaded));
  l.llm = cfg.llm;
  l.campaign = cfg.name;
  l.store = &store;
  l.seed = cfg.seed;
  return l;
}

caf::expected<std::shared_ptr<const actors::technique_catalogues>> techniques_of(
    const campaign_config& cfg, const kforge::task_map& tasks) {
  auto out = std::make_shared<actors::technique_catalogues>();
  if (cfg.policy != "openai")
    return std::shared_ptr<const actors::technique_catalogues>{std::move(out)};
  std::filesystem::path where{cfg.llm.techniques};
  std::error_code ec;
  bool one_file = std::filesystem::is_regular_file(where, ec);
  std::set<std::string> backends;
  for (const auto& [id, t] : tasks)
    backends.insert(t.backend);
  for (const auto& backend : backends) {
    // KernelBench answers are CUDA kernels: they draw from the cuda catalogue.
    auto file =
        one_file ? where : where / ((backend == "kernelbench" ? std::string{"cuda"} : backend) + ".toml");
    if (!std::filesystem::exists(file, ec)) {
      if (cfg.llm.techniques_given)
        return make_error(errc::bad_config, cfg.file.string() + ": [llm] techniques: no catalogue " +
                                                file.string() + " for the " + backend + " tasks");
      continue;  // no catalogue for this backend: its refine steps draw no technique
    }
    auto loaded = actors::load_technique_catalogue(file, backend);
    if (!loaded)
      return std::move(loaded.error());
    out->emplace(backend, std::move(*loaded));
  }
  return std::shared_ptr<const actors::technique_catalogues>{std::move(out)};
}

actors::technique_config technique_config_of(const campaign_config& cfg) {
  actors::technique_config t;
  t.top_k = cfg.llm.technique_top_k;
  t.temperature = cfg.llm.technique_temperature;
  t.prior_speedup = cfg.llm.technique_prior;
  t.use_penalty = cfg.memory.kb_use_penalty;
  t.bound_match = cfg.memory.kb_bound_match;
  t.family_match = cfg.memory.kb_family_match;
  return t;
}

}  // namespace kforge::runtime
