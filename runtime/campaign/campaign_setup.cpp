#include "runtime/campaign/campaign_setup.hpp"

#include "actors/llm_proxy/prompt_builder.hpp"

#include <memory>
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
  c.consolidation.min_evidence = cfg.memory.insight_min_evidence;
  c.consolidation.retire_min_visits = cfg.memory.retire_min_visits;
  c.consolidation.retire_below = cfg.memory.retire_below;
  return c;
}

actors::verifier_config verifier_config_of(const campaign_config& cfg) {
  actors::verifier_config v;
  v.compile_jobs = cfg.verifier.compile_jobs;
  v.max_queue = cfg.verifier.max_queue;
  v.verdict_cache = cfg.verifier.verdict_cache;
  v.compile_cache_entries = cfg.verifier.compile_cache_entries;
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

}  // namespace kforge::runtime
