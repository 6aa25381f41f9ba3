#pragma once

// What a store holds of one campaign, read in one transaction: end-to-end tests
// compare it before and after a stop, a kill or a restart.

#include "memory/store.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kforge::test {

/// One campaign's records.
struct campaign_view {
  memory::campaign_record campaign;
  std::vector<memory::task_record> tasks;
  std::map<std::string, memory::candidate_record> candidates;  ///< by hash
  std::map<std::string, std::vector<std::string>> order;       ///< task id -> its hashes in seq order
};

/// Reads `campaign` from the store at `path` (opened and closed here; safe while no other
/// process writes it). Throws std::runtime_error naming what could not be read.
[[nodiscard]] campaign_view read_campaign(const std::filesystem::path& path, const std::string& campaign);

}  // namespace kforge::test
