#include "runtime/daemon/campaign_scan.hpp"

#include <algorithm>
#include <set>

namespace kforge::runtime {

namespace {

bool unchanged(const scanned_file& f, const std::map<std::string, watched_file>& watched) {
  auto it = watched.find(f.path);
  return it != watched.end() && it->second.hash == f.hash;
}

// Whether a file other than `path` defines `name`: one already planned, or one not planned yet
// that defined it before this scan (a watched file keeps its campaign against a newcomer).
bool claimed_elsewhere(const std::string& path, const std::string& name,
                       const std::map<std::string, watched_file>& planned,
                       const std::map<std::string, watched_file>& watched,
                       const std::set<std::string>& unplanned) {
  for (const auto& [other, w] : planned)
    if (other != path && w.name == name)
      return true;
  for (const auto& other : unplanned) {
    auto it = watched.find(other);
    if (other != path && it != watched.end() && it->second.name == name)
      return true;
  }
  return false;
}

}  // namespace

scan_plan plan_scan(const std::vector<scanned_file>& scan, const std::map<std::string, watched_file>& watched,
                    const std::map<std::string, known_campaign>& campaigns) {
  std::vector<scanned_file> files = scan;
  std::sort(files.begin(), files.end(),
            [](const scanned_file& a, const scanned_file& b) { return a.path < b.path; });
  scan_plan plan;
  std::set<std::string> unplanned;
  // Files whose text is the one watched keep what they had; the others are planned in path order.
  for (const auto& f : files) {
    if (unchanged(f, watched))
      plan.files[f.path] = watched.at(f.path);
    else
      unplanned.insert(f.path);
  }
  for (const auto& f : files) {
    if (unchanged(f, watched))
      continue;
    unplanned.erase(f.path);
    auto& w = plan.files[f.path];
    w = {f.hash, ""};
    if (f.name.empty()) {
      plan.actions.push_back({scan_verb::report, f.path, "", f.error});
      continue;
    }
    if (claimed_elsewhere(f.path, f.name, plan.files, watched, unplanned)) {
      plan.actions.push_back({scan_verb::refuse, f.path, f.name,
                              "campaign '" + f.name + "' is already defined by another file"});
      continue;
    }
    w.name = f.name;
    auto known = campaigns.find(f.name);
    if (known == campaigns.end()) {
      plan.actions.push_back({scan_verb::start, f.path, f.name, ""});
    } else if (known->second.live) {
      if (known->second.hash != f.hash)
        plan.actions.push_back({scan_verb::restart, f.path, f.name, ""});
    } else if (known->second.finished) {
      plan.actions.push_back({scan_verb::keep_finished, f.path, f.name, ""});
    } else {
      plan.actions.push_back({scan_verb::start, f.path, f.name, ""});
    }
  }
  for (const auto& [path, w] : watched)
    if (plan.files.count(path) == 0)
      plan.actions.push_back({scan_verb::removed, path, w.name, ""});
  return plan;
}

}  // namespace kforge::runtime
