#include "runtime/daemon/daemon_worker.hpp"

#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"
#include "runtime/campaign/campaign_setup.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

namespace kforge::runtime {

namespace {

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// A file as the last scan read it.
struct cached_file {
  std::filesystem::file_time_type mtime{};
  std::uintmax_t size = 0;
  scanned_file scanned;
  std::shared_ptr<const campaign_config> config;
};

struct worker_state {
  daemon_config cfg;
  memory::store* store = nullptr;
  std::map<std::string, cached_file> cache;  // by path
  std::optional<actors::retriever_actor> retriever;
  std::optional<actors::curator_actor> curator;
  log::logger log{"kforge.daemon"};
  static inline const char* name = "kforge.daemon.worker";
};

using worker_pointer = daemon_worker::stateful_pointer<worker_state>;

std::vector<std::filesystem::path> campaign_files(const std::filesystem::path& campaigns) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (std::filesystem::is_regular_file(campaigns, ec)) {
    out.push_back(campaigns);
    return out;
  }
  for (std::filesystem::directory_iterator it{campaigns, ec}, end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".toml" && it->is_regular_file(ec))
      out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

scan_result scan(worker_state& st) {
  scan_result out;
  std::map<std::string, cached_file> next;
  for (const auto& path : campaign_files(st.cfg.campaigns)) {
    auto key = path.string();
    auto known = st.cache.find(key);
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(path, ec);
    auto size = std::filesystem::file_size(path, ec);
    std::optional<std::string> text;
    if (!ec && (known == st.cache.end() || known->second.mtime != mtime || known->second.size != size))
      text = read_file(path);
    if (!text) {
      // Unchanged, or vanished or unreadable between listing and reading: as the last scan saw it.
      if (known != st.cache.end())
        next[key] = known->second;
      continue;
    }
    cached_file f;
    f.mtime = mtime;
    f.size = size;
    f.scanned.path = key;
    f.scanned.hash = sha256_hex(*text);
    if (known != st.cache.end() && known->second.scanned.hash == f.scanned.hash) {
      f.scanned = known->second.scanned;
      f.config = known->second.config;
    } else if (auto cfg = parse_campaign_config(*text, path)) {
      cfg->store_path = st.cfg.store;
      f.scanned.name = cfg->name;
      f.config = std::make_shared<const campaign_config>(std::move(*cfg));
    } else {
      f.scanned.error = describe(cfg.error());
    }
    next[key] = std::move(f);
  }
  st.cache = std::move(next);
  for (const auto& [path, f] : st.cache) {
    out.files.push_back(f.scanned);
    if (f.config)
      out.configs[path] = f.config;
  }
  return out;
}

stored_campaign stored_of(const worker_state& st, const memory::campaign_record& c) {
  stored_campaign s;
  s.id = c.id;
  s.status = c.status;
  s.hash = sha256_hex(c.config_text);
  auto cfg = parse_campaign_config(c.config_text, c.config_path);
  if (cfg) {
    cfg->store_path = st.cfg.store;
    s.config = std::make_shared<const campaign_config>(std::move(*cfg));
  } else {
    s.error = describe(cfg.error());
  }
  return s;
}

stored_campaigns list_stored(const worker_state& st, const std::string& id) {
  stored_campaigns out;
  auto tx = st.store->read();
  if (!tx) {
    out.error = describe(tx.error());
    return out;
  }
  if (!id.empty()) {
    auto c = memory::get_campaign(*tx, id);
    if (c)
      out.campaigns.push_back(stored_of(st, *c));
    else
      out.error = describe(c.error());
    return out;
  }
  auto list = memory::list_campaigns(*tx);
  if (!list) {
    out.error = describe(list.error());
    return out;
  }
  for (const auto& c : *list)
    out.campaigns.push_back(stored_of(st, c));
  return out;
}

daemon_worker::behavior_type worker_behavior(worker_pointer self, daemon_config cfg, memory::store* store) {
  self->state.cfg = std::move(cfg);
  self->state.store = store;
  // The memory actors live as long as the worker: the daemon stops it last.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.retriever)
      self->send_exit(*st.retriever, caf::exit_reason::user_shutdown);
    if (st.curator)
      self->send_exit(*st.curator, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  return {
      [self](scan_atom) { return std::make_shared<const scan_result>(scan(self->state)); },
      [self](campaign_atom, const std::string& id) {
        return std::make_shared<const stored_campaigns>(list_stored(self->state, id));
      },
      [self](launch_atom,
             const std::shared_ptr<const launch_request>& req) -> caf::result<std::shared_ptr<launch_reply>> {
        auto& st = self->state;
        const auto& campaign = req->cfg;
        if (!st.curator) {
          auto memory_actors = spawn_memory(self->system(), *st.store, campaign);
          if (!memory_actors)
            return std::move(memory_actors.error());
          st.retriever = memory_actors->retriever;
          st.curator = memory_actors->curator;
          st.log.info("memory shared by all campaigns", {{"settings_from", campaign.name}});
        }
        auto tasks = load_campaign_tasks(campaign);
        if (!tasks)
          return std::move(tasks.error());
        // The daemon owns the campaigns it runs: a `kforge run` of one of them is refused, and
        // `kforge status` tells them from campaigns whose process died.
        auto owner = owner_lock::acquire(st.cfg.store, campaign.name);
        if (!owner)
          return std::move(owner.error());
        prepare_options opts;
        opts.make_backends = req->make_backends;
        launch_step failed = launch_step::memory_import;
        auto prep = prepare_campaign(self->system(), *st.store, campaign, *tasks, *st.curator, opts, failed);
        if (!prep)
          return std::move(prep.error());
        prep->owner = std::make_shared<const owner_lock>(std::move(*owner));
        return std::make_shared<launch_reply>(launch_reply{std::move(*prep), *st.retriever, *st.curator});
      },
  };
}

}  // namespace

daemon_worker spawn_daemon_worker(caf::actor_system& sys, const daemon_config& cfg, memory::store& store) {
  return sys.spawn<caf::detached>(worker_behavior, cfg, &store);
}

}  // namespace kforge::runtime
