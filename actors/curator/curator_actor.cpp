#include "actors/curator/curator_actor.hpp"

#include "actors/curator/insight_index.hpp"
#include "actors/curator/technique_rules.hpp"
#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/wall_clock.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <variant>

namespace kforge::actors {

namespace {

struct pending_event {
  std::variant<experience, memory::task_record, memory::llm_call_record> event;
  caf::typed_response_promise<int64_t> promise;
};

struct curator_state {
  memory::store* store = nullptr;
  retriever_actor retriever;
  curator_config cfg;
  std::vector<pending_event> pending;
  bool flush_scheduled = false;
  int64_t since_consolidation = 0;                       // experiences committed since the last consolidation
  std::optional<insight_index> insights;                 // consolidation's evidence, kept current per commit
  std::chrono::steady_clock::time_point last_release{};  // the store map's last release_resident
  std::optional<caf::actor_clock::time_point> last_consolidation;  // the actor clock at the last pass
  log::logger log{"kforge.curator"};
  static inline const char* name = "kforge.curator";
};

using curator_pointer = curator_actor::stateful_pointer<curator_state>;

// Loads an item for update: the batch's newer copy first, then the store.
caf::expected<memory::memory_item*> item_for_update(memory::write_txn& tx,
                                                    std::map<std::string, memory::memory_item>& touched,
                                                    const std::string& id) {
  auto it = touched.find(id);
  if (it != touched.end())
    return &it->second;
  auto stored = memory::get_memory(tx, id);
  if (!stored) {
    if (code_of(stored.error()) == errc::not_found)
      return static_cast<memory::memory_item*>(nullptr);
    return stored.error();
  }
  auto [pos, inserted] = touched.emplace(id, std::move(*stored));
  return &pos->second;
}

// Writes one experience into `tx`: candidate, value updates and derived items (the task record
// and the campaign's count are the batch's, once). Returns false if the candidate was already stored.
caf::expected<bool> write_experience(memory::write_txn& tx, const experience& e, const value_config& values,
                                     std::map<std::string, memory::memory_item>& touched) {
  const auto& cand = e.candidate;
  auto exists = memory::has_candidate(tx, cand.hash);
  if (!exists)
    return exists.error();
  if (*exists)
    return false;
  if (auto err = memory::put_candidate(tx, cand, e.source_tail.get()))
    return err;
  if (!e.verdict_key.empty())
    if (auto err = memory::put_verdict_ref(tx, e.verdict_key, cand.hash))
      return err;

  // A suspect figure (a speedup that did not hold) enters no value and no item.
  if (cand.verdict.is_suspect())
    return true;

  // Monte-Carlo update of every item that was in the step's context.
  for (const auto& id : cand.context_ids) {
    auto item = item_for_update(tx, touched, id);
    if (!item)
      return item.error();
    if (*item == nullptr)
      continue;  // retired since the step began
    update_value(**item, cand.stage, cand.reward, values.alpha);
    (*item)->updated_ms = cand.created_ms;
  }

  // New evidence: seeds, optimizations, trajectory steps.
  std::optional<memory::candidate_record> parent;
  if (e.parent && !cand.parents.empty() && e.parent->hash == cand.parents.front()) {
    parent = *e.parent;  // the task actor's copy: no read and decode of the stored record
  } else if (!cand.parents.empty()) {
    auto p = memory::get_candidate(tx, cand.parents.front());
    if (p)
      parent = std::move(*p);
  }
  auto derived = derive_items(cand, e.task, parent, cand.created_ms, e.roofline_ns);
  for (auto& entry : derive_technique_entries(cand, e.task, parent, cand.created_ms))
    derived.push_back(std::move(entry));
  for (auto& fresh : derived) {
    auto item = item_for_update(tx, touched, fresh.id);
    if (!item)
      return item.error();
    if (*item == nullptr) {
      auto id = fresh.id;
      touched.emplace(std::move(id), std::move(fresh));
      continue;
    }
    bool in_context =
        std::find(cand.context_ids.begin(), cand.context_ids.end(), fresh.id) != cand.context_ids.end();
    merge_item(**item, fresh);
    describe_technique_entry(**item);  // a technique entry's text follows its merged statistics
    if (!in_context)
      update_value(**item, cand.stage, cand.reward, values.alpha);
  }

  // Techniques the model named that the catalogue lacked join it (once; later namers are sources).
  for (const auto& learned : e.new_techniques) {
    auto item = item_for_update(tx, touched, learned.id);
    if (!item)
      return item.error();
    if (*item == nullptr) {
      auto id = learned.id;
      touched.emplace(std::move(id), learned);
      continue;
    }
    for (const auto& t : learned.source_tasks)
      if (std::find((*item)->source_tasks.begin(), (*item)->source_tasks.end(), t) ==
          (*item)->source_tasks.end())
        (*item)->source_tasks.push_back(t);
  }
  return true;
}

// Writes a batch of events into `tx`; fills `changed` with the memory items it changed.
caf::error write_batch(memory::write_txn& tx, const std::vector<pending_event>& batch,
                       const value_config& values, std::vector<memory::memory_item>& changed,
                       int64_t& evaluations) {
  std::map<std::string, memory::memory_item> touched;
  std::map<std::string, int64_t> written;  // experiences stored per campaign
  // The latest record of each task in the batch: a task's steps commit two or more experiences
  // together, each carrying the record as it stood then; the last one is the record.
  std::map<std::pair<std::string_view, std::string_view>, const memory::task_record*> task_records;
  auto keep_task = [&task_records](const memory::task_record& rec) {
    task_records[{rec.campaign, rec.task_id}] = &rec;
  };
  std::string campaign_id;
  for (const auto& p : batch) {
    if (const auto* e = std::get_if<experience>(&p.event)) {
      auto wrote = write_experience(tx, *e, values, touched);
      if (!wrote)
        return wrote.error();
      campaign_id = e->candidate.campaign;
      written[campaign_id] += *wrote ? 1 : 0;
      if (*wrote)
        keep_task(e->task);
    } else if (const auto* call = std::get_if<memory::llm_call_record>(&p.event)) {
      if (auto err = memory::put_llm_call(tx, *call))
        return err;
    } else {
      const auto& rec = std::get<memory::task_record>(p.event);
      keep_task(rec);
      campaign_id = rec.campaign;
    }
  }
  for (const auto& [key, rec] : task_records)
    if (auto err = memory::put_task(tx, *rec))
      return err;
  for (const auto& [id, item] : touched)
    if (auto err = memory::put_memory(tx, item))
      return err;
  for (const auto& [id, count] : written) {
    if (count == 0)
      continue;
    auto campaign = memory::get_campaign(tx, id);
    if (!campaign)
      return campaign.error();
    campaign->evaluations += count;
    campaign->updated_ms = wall_ms();
    if (auto err = memory::put_campaign(tx, *campaign))
      return err;
  }
  if (!campaign_id.empty()) {
    auto campaign = memory::get_campaign(tx, campaign_id);
    if (campaign)
      evaluations = campaign->evaluations;
  }
  for (auto& [id, item] : touched)
    changed.push_back(std::move(item));
  return caf::none;
}

// Tells the consolidation index what a commit changed.
void learn(curator_state& st, const std::vector<memory::memory_item>& changed) {
  if (st.insights)
    for (const auto& item : changed)
      st.insights->update(item);
}

// One consolidation pass written into `tx`: the insights whose evidence changed (learned
// values kept) and retirements. Reads only the items it changes. Fills `changed` with what the
// retriever must learn.
caf::error write_consolidation(memory::write_txn& tx, const consolidation& result,
                               std::vector<memory::memory_item>& changed, int64_t now) {
  for (const auto& fresh : result.insights) {
    auto stored = memory::get_memory(tx, fresh.id);
    if (!stored) {
      if (code_of(stored.error()) != errc::not_found)
        return stored.error();
      changed.push_back(fresh);
      continue;
    }
    if (stored->retired)
      continue;
    if (stored->text == fresh.text && stored->samples == fresh.samples)
      continue;  // nothing new
    stored->text = fresh.text;
    stored->payload = fresh.payload;
    stored->source_tasks = fresh.source_tasks;
    stored->samples = fresh.samples;
    stored->mean_speedup = fresh.mean_speedup;
    stored->feasible_samples = fresh.feasible_samples;
    stored->updated_ms = now;
    changed.push_back(std::move(*stored));
  }
  std::map<std::string, size_t> refreshed;
  for (size_t i = 0; i < changed.size(); ++i)
    refreshed[changed[i].id] = i;
  for (const auto& id : result.retire) {
    auto again = refreshed.find(id);
    if (again != refreshed.end()) {  // refreshed in this pass, and retired too
      changed[again->second].retired = true;
      continue;
    }
    auto stored = memory::get_memory(tx, id);
    if (!stored) {
      if (code_of(stored.error()) != errc::not_found)
        return stored.error();
      continue;
    }
    if (stored->retired)
      continue;
    stored->retired = true;
    stored->updated_ms = now;
    changed.push_back(std::move(*stored));
  }
  for (const auto& item : changed)
    if (auto err = memory::put_memory(tx, item))
      return err;
  return caf::none;
}

// Runs `write` (one write transaction), growing the map and running it again on MDB_MAP_FULL.
template <class Write>
caf::error with_map_growth(curator_pointer self, Write write) {
  auto& st = self->state;
  caf::error err = write();
  for (int32_t i = 0; code_of(err) == errc::store_map_full && i < st.cfg.map_grow_tries; ++i) {
    st.log.warning("store map full; growing it", {{"path", st.store->path().string()}});
    if (auto grow = st.store->grow_map(2.0))
      return grow;
    err = write();
  }
  return err;
}

// After a consolidation pass's commit: the index forgets the evidence it consumed and learns
// the insights and retirements; the store's map pages may leave the resident set.
void after_consolidation(curator_state& st, const std::vector<memory::memory_item>& consolidated) {
  st.since_consolidation = 0;
  st.insights->clear_changes();
  learn(st, consolidated);
  int64_t retired = 0;
  for (const auto& item : consolidated)
    retired += item.retired ? 1 : 0;
  st.log.info("memory consolidated",
              {{"insights", static_cast<int64_t>(consolidated.size()) - retired}, {"retired", retired}});
  // The store's pages read since the last pass (this one's items, the B-tree of every commit)
  // stay in the page cache and leave the resident set: a long campaign's RSS stays flat. At most
  // once a second (it reads /proc/self/maps): a fast campaign consolidates many times a second.
  auto now = std::chrono::steady_clock::now();
  if (now - st.last_release >= std::chrono::seconds(1)) {
    st.last_release = now;
    st.store->release_resident();
  }
}

// One group commit: the batch's events and, when one is due, a consolidation pass over the
// evidence so far (the batch's items learned first), in one write transaction and one fsync.
caf::error write_flush(curator_state& st, const std::vector<pending_event>& batch, bool consolidate,
                       std::vector<memory::memory_item>& changed,
                       std::vector<memory::memory_item>& consolidated, int64_t& evaluations) {
  auto tx = st.store->write();
  if (!tx)
    return tx.error();
  if (auto err = write_batch(*tx, batch, st.cfg.values, changed, evaluations))
    return err;
  if (consolidate) {
    learn(st, changed);  // idempotent (an item replaces its earlier evidence): a retry may learn again
    if (auto err = write_consolidation(*tx, st.insights->changes(wall_ms()), consolidated, wall_ms()))
      return err;
  }
  return tx->commit();
}

// Copies the items of `imp` that `store` lacks, and its marker, in one write transaction.
// Fills `copied` with what the retriever must learn; nothing when the marker is already there.
caf::error write_import(memory::store& store, const memory_import& imp,
                        std::vector<memory::memory_item>& copied) {
  auto tx = store.write();
  if (!tx)
    return tx.error();
  auto seen = memory::get_meta(*tx, imp.marker);
  if (seen)
    return caf::none;
  if (code_of(seen.error()) != errc::not_found)
    return seen.error();
  for (const auto& item : imp.items) {
    auto has = memory::get_memory(*tx, item.id);
    if (has)
      continue;
    if (code_of(has.error()) != errc::not_found)
      return has.error();
    if (auto err = memory::put_memory(*tx, item))
      return err;
    copied.push_back(item);
  }
  if (auto err =
          memory::put_meta(*tx, imp.marker, imp.source + " (" + std::to_string(copied.size()) + " items)"))
    return err;
  return tx->commit();
}

caf::error write_peaks(memory::store& store, const peaks_record& peaks) {
  auto tx = store.write();
  if (!tx)
    return tx.error();
  for (const auto& [key, value] : peaks.entries)
    if (auto err = memory::put_meta(*tx, key, value))
      return err;
  return tx->commit();
}

void load_insights(curator_state& st);

// Whether consolidation.min_interval_ms has passed since the last pass (the actor clock: a test
// coordinator's clock in tests).
bool consolidation_due(curator_pointer self) {
  auto& st = self->state;
  auto bound = std::chrono::milliseconds{st.cfg.consolidation.min_interval_ms};
  return bound.count() <= 0 || !st.last_consolidation ||
         self->clock().now() - *st.last_consolidation >= bound;
}

void flush(curator_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  while (!st.pending.empty()) {
    auto take = std::min(st.pending.size(), static_cast<size_t>(std::max(1, st.cfg.max_batch)));
    std::vector<pending_event> batch(
        std::make_move_iterator(st.pending.begin()),
        std::make_move_iterator(st.pending.begin() + static_cast<std::ptrdiff_t>(take)));
    st.pending.erase(st.pending.begin(), st.pending.begin() + static_cast<std::ptrdiff_t>(take));
    auto experiences = std::count_if(batch.begin(), batch.end(), [](const auto& p) {
      return std::holds_alternative<experience>(p.event);
    });
    bool consolidate = st.insights && st.cfg.consolidation.every > 0 &&
                       st.since_consolidation + experiences >= st.cfg.consolidation.every &&
                       consolidation_due(self);
    std::vector<memory::memory_item> changed;
    std::vector<memory::memory_item> consolidated;
    int64_t evaluations = 0;
    auto write = [&] {
      changed.clear();
      consolidated.clear();
      return write_flush(st, batch, consolidate, changed, consolidated, evaluations);
    };
    auto err = with_map_growth(self, write);
    if (err && consolidate) {  // (a damaged item, say): the events still go in, alone
      st.log.warning("consolidation failed; memory unchanged", {{"error", describe(err)}});
      consolidate = false;
      err = with_map_growth(self, write);
      if (err)
        load_insights(st);  // it learned items the store lacks: start again from the store
    }
    if (err) {
      st.log.error("commit failed", {{"events", batch.size()}, {"error", describe(err)}});
      for (auto& p : batch)
        p.promise.deliver(err);
      continue;
    }
    if (log::logger::enabled(log::level::debug))
      st.log.debug("committed", {{"events", batch.size()}, {"items", changed.size()}});
    st.since_consolidation += experiences;
    if (consolidate) {
      st.last_consolidation = self->clock().now();
      after_consolidation(st, consolidated);
    } else {
      learn(st, changed);
    }
    if (!changed.empty())
      self->send(st.retriever, items_atom_v, std::move(changed));
    if (!consolidated.empty())  // after the batch's items: a retirement wins over the batch's copy
      self->send(st.retriever, items_atom_v, std::move(consolidated));
    for (auto& p : batch)
      p.promise.deliver(evaluations);
  }
}

void enqueue(curator_pointer self, pending_event ev) {
  auto& st = self->state;
  st.pending.push_back(std::move(ev));
  // Group commit: everything already in the mailbox is handled before this
  // flush message, so it commits together in one transaction.
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, caf::flush_atom_v);
  }
}

// Builds the consolidation index from the stored items (one read transaction, once per
// process); its first pass then covers every rule, as a full scan did.
// Streamed: the decoded items are never all held at once (a million of them would be ~1 GB).
void load_insights(curator_state& st) {
  st.insights.emplace(st.cfg.consolidation);
  auto tx = st.store->read();
  auto err = tx ? memory::for_each_memory(*tx,
                                          [&](memory::memory_item&& item) -> caf::error {
                                            st.insights->update(item);
                                            return {};
                                          })
                : tx.error();
  if (err) {
    st.log.error("cannot load memory items for consolidation; consolidating new items only",
                 {{"error", describe(err)}});
    st.insights.emplace(st.cfg.consolidation);
  }
}

curator_actor::behavior_type curator_behavior(curator_pointer self, memory::store* store,
                                              retriever_actor retriever, curator_config cfg,
                                              std::shared_ptr<insight_index> insights) {
  self->state.store = store;
  self->state.retriever = std::move(retriever);
  self->state.cfg = cfg;
  if (cfg.consolidation.every > 0) {
    if (insights)
      self->state.insights.emplace(std::move(*insights));
    else
      load_insights(self->state);
  }
  return {
      [self](campaign_atom, memory::campaign_record& proposal)
          -> caf::result<memory::campaign_record, std::vector<memory::task_record>> {
        auto& st = self->state;
        auto tx = st.store->write();
        if (!tx)
          return tx.error();
        auto existing = memory::get_campaign(*tx, proposal.id);
        memory::campaign_record rec;
        if (existing) {
          rec = std::move(*existing);
          if (rec.status == "stopped")
            rec.status = "running";
          rec.config_text = proposal.config_text;
          rec.config_hash = proposal.config_hash;
          rec.config_path = proposal.config_path;
        } else if (code_of(existing.error()) == errc::not_found) {
          rec = std::move(proposal);
          rec.created_ms = wall_ms();
          rec.status = "running";
        } else {
          return existing.error();
        }
        rec.updated_ms = wall_ms();
        if (rec.status != "finished")
          if (auto err = memory::put_campaign(*tx, rec))
            return err;
        auto tasks = memory::list_tasks(*tx, rec.id);
        if (!tasks)
          return tasks.error();
        if (auto err = tx->commit())
          return err;
        st.log.info(existing ? "campaign resumed" : "campaign created",
                    {{"campaign", rec.id}, {"evaluations", rec.evaluations}, {"status", rec.status}});
        return caf::result<memory::campaign_record, std::vector<memory::task_record>>(std::move(rec),
                                                                                      std::move(*tasks));
      },
      [self](campaign_atom, const std::string& id, const std::string& status,
             double run_wall_ms) -> caf::result<memory::campaign_record> {
        flush(self);  // the campaign's last events go first
        auto tx = self->state.store->write();
        if (!tx)
          return tx.error();
        auto rec = memory::get_campaign(*tx, id);
        if (!rec)
          return rec.error();
        rec->status = status;
        rec->wall_ms += run_wall_ms;
        rec->updated_ms = wall_ms();
        if (auto err = memory::put_campaign(*tx, *rec))
          return err;
        if (auto err = tx->commit())
          return err;
        return std::move(*rec);
      },
      [self](load_atom, const std::string& campaign,
             const std::string& task) -> caf::result<std::vector<memory::candidate_record>> {
        auto tx = self->state.store->read();
        if (!tx)
          return tx.error();
        auto list = memory::list_candidates(*tx, campaign, task);
        if (!list)
          return list.error();
        return std::move(*list);
      },
      [self](record_atom, experience& e) -> caf::result<int64_t> {
        auto promise = self->make_response_promise<int64_t>();
        enqueue(self, pending_event{std::move(e), promise});
        return promise;
      },
      [self](record_atom, memory::task_record& rec) -> caf::result<int64_t> {
        auto promise = self->make_response_promise<int64_t>();
        enqueue(self, pending_event{std::move(rec), promise});
        return promise;
      },
      [self](record_atom, memory::llm_call_record& rec) -> caf::result<int64_t> {
        auto promise = self->make_response_promise<int64_t>();
        enqueue(self, pending_event{std::move(rec), promise});
        return promise;
      },
      [self](import_atom, const memory_import& imp) -> caf::result<int64_t> {
        auto& st = self->state;
        std::vector<memory::memory_item> copied;
        auto err = with_map_growth(self, [&] {
          copied.clear();
          return write_import(*st.store, imp, copied);
        });
        if (err)
          return err;
        auto n = static_cast<int64_t>(copied.size());
        st.log.debug("memory imported", {{"from", imp.source}, {"items", n}});
        // The retriever learns the items before the reply, so a campaign started on that
        // reply already finds them.
        learn(st, copied);
        if (!copied.empty())
          self->send(st.retriever, items_atom_v, std::move(copied));
        return n;
      },
      [self](peaks_atom, const peaks_record& peaks) -> caf::result<int64_t> {
        auto& st = self->state;
        if (auto err = with_map_growth(self, [&] { return write_peaks(*st.store, peaks); }))
          return err;
        return static_cast<int64_t>(peaks.entries.size());
      },
      [self](record_atom, const memory::reference_record& rec) -> caf::result<int64_t> {
        auto& st = self->state;
        auto err = with_map_growth(self, [&]() -> caf::error {
          auto tx = st.store->write();
          if (!tx)
            return tx.error();
          if (auto put = memory::put_reference(*tx, rec))
            return put;
          return tx->commit();
        });
        if (err)
          return err;
        st.log.debug("reference cached",
                     {{"task", rec.task_id}, {"dev", rec.device}, {"bytes", rec.data.size()}});
        return static_cast<int64_t>(rec.data.size());
      },
      [self](caf::flush_atom) { flush(self); },
  };
}

}  // namespace

curator_actor spawn_curator(caf::actor_system& sys, memory::store& store, retriever_actor retriever,
                            curator_config cfg, bool detached) {
  return spawn_curator(sys, store, std::move(retriever), cfg, detached, nullptr);
}

curator_actor spawn_curator(caf::actor_system& sys, memory::store& store, retriever_actor retriever,
                            curator_config cfg, bool detached, std::shared_ptr<insight_index> insights) {
  if (detached)
    return sys.spawn<caf::detached>(curator_behavior, &store, std::move(retriever), cfg, std::move(insights));
  return sys.spawn(curator_behavior, &store, std::move(retriever), cfg, std::move(insights));
}

}  // namespace kforge::actors
