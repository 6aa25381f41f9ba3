#pragma once

// The daemon's blocking work, off the daemon actor: a detached actor (its own
// thread) that reads the campaign files, lists the store's campaigns and
// prepares campaign launches (runtime/campaign/campaign_launch), one request at
// a time, so that two launches never measure the machine's peaks at once. It
// spawns the memory actors shared by every campaign (retriever and curator,
// with the first campaign's settings) and stops them when it is told to exit.

#include "actors/curator/curator_actor.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/type_ids.hpp"
#include "memory/store.hpp"
#include "runtime/campaign/campaign_launch.hpp"
#include "runtime/campaign/config.hpp"
#include "runtime/daemon/campaign_scan.hpp"
#include "runtime/daemon/daemon_config.hpp"

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kforge::runtime {

/// The campaign files present, read and parsed.
struct scan_result {
  std::vector<scanned_file> files;
  std::map<std::string, std::shared_ptr<const campaign_config>> configs;  ///< by path, those that load
};

/// A campaign of the store, with the config stored with it.
struct stored_campaign {
  std::string id;
  std::string status;
  std::string hash;                               ///< of the stored config text
  std::shared_ptr<const campaign_config> config;  ///< null when it no longer loads
  std::string error;                              ///< why it does not load
};

/// The store's campaigns, or why they cannot be listed.
struct stored_campaigns {
  std::vector<stored_campaign> campaigns;
  std::string error;
};

/// What a launch needs from the daemon.
struct launch_request {
  campaign_config cfg;
  bool make_backends = true;  ///< false when the device already has a pool
};

/// A prepared launch and the shared memory actors to start it with.
struct launch_reply {
  campaign_prep prep;
  actors::retriever_actor retriever;
  actors::curator_actor curator;
};

/// The worker's interface; local only (its messages carry pointers, never serialized).
using daemon_worker = caf::typed_actor<
    // daemon -> worker: read the campaign files; a file whose mtime and size did not move
    // is not read again. Never fails.
    caf::replies_to<scan_atom>::with<std::shared_ptr<const scan_result>>,
    // daemon -> worker: the store's campaign `id` with its stored config, or all of them if
    // `id` is empty. Never fails (the error is in the reply).
    caf::replies_to<campaign_atom, std::string>::with<std::shared_ptr<const stored_campaigns>>,
    // daemon -> worker: prepare a campaign (blocks for its files, memory import, peaks and
    // backends). Errors: those of prepare_campaign and load_campaign_tasks.
    caf::replies_to<launch_atom, std::shared_ptr<const launch_request>>::with<std::shared_ptr<launch_reply>>>;

/// Spawns the worker over `store` (which must outlive it) for the campaigns of `cfg`.
[[nodiscard]] daemon_worker spawn_daemon_worker(caf::actor_system& sys, const daemon_config& cfg,
                                                memory::store& store);

}  // namespace kforge::runtime

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const kforge::runtime::scan_result>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const kforge::runtime::stored_campaigns>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const kforge::runtime::launch_request>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<kforge::runtime::launch_reply>)
