#pragma once

// What a scan of the campaign directory means for the daemon: a pure function
// from the files found (read and parsed elsewhere) and what the daemon knows
// to a list of actions. The rules (README, "Running kforge as a service"):
//   - identity is the [campaign] name; two files naming one campaign: the later is refused
//     (a file already watched comes before a new one; among new files, the first by path).
//   - a new file starts its campaign (or continues it, if the store has it).
//   - a changed file (content hash) restarts its running campaign: stop gracefully, then start
//     with the new config once the stop has committed; a finished campaign stays finished.
//   - a file that does not load is reported and changes nothing.
//   - a removed file changes nothing: stop a campaign through the API.
// A file whose hash is the one watched is not looked at again, so each report comes once.

#include <map>
#include <string>
#include <vector>

namespace kforge::runtime {

/// One campaign file as a scan found it.
struct scanned_file {
  std::string path;
  std::string hash;   ///< sha256 of its text
  std::string name;   ///< its [campaign] name; empty when it does not load
  std::string error;  ///< why it does not load (names file:line); empty when it loads
};

/// What the daemon knew of a file after the previous scan.
struct watched_file {
  std::string hash;
  std::string name;  ///< the campaign it defines; empty when it did not load or was refused

  friend bool operator==(const watched_file& a, const watched_file& b) {
    return a.hash == b.hash && a.name == b.name;
  }
};

/// What the daemon knows of a campaign when a scan is planned.
struct known_campaign {
  std::string hash;       ///< of the config text it runs (or last ran) with
  bool live = false;      ///< starting or running: it must stop before it starts again
  bool finished = false;  ///< ended for good in this daemon; it stays finished
};

/// What to do about one file.
enum class scan_verb {
  start,          ///< start (or continue) `campaign` with the file's config
  restart,        ///< stop the live `campaign` gracefully, then start it with the file's config
  refuse,         ///< another file defines `campaign`; this one is ignored (`message` says so)
  report,         ///< the file does not load (`message`); nothing changes
  removed,        ///< the file is gone; its campaign is left as it is
  keep_finished,  ///< the file of a finished campaign changed; it stays finished
};

/// One action of a scan.
struct scan_action {
  scan_verb verb = scan_verb::start;
  std::string file;
  std::string campaign;  ///< empty for report and removed
  std::string message;   ///< refuse and report: why

  friend bool operator==(const scan_action& a, const scan_action& b) {
    return a.verb == b.verb && a.file == b.file && a.campaign == b.campaign && a.message == b.message;
  }
};

/// The actions of a scan and the watch list that follows it.
struct scan_plan {
  std::vector<scan_action> actions;           ///< in the order of the files' paths, removals last
  std::map<std::string, watched_file> files;  ///< by path: what the next scan compares against
};

/// Plans a scan. `scan`: every campaign file present now (any order); `watched`: the watch
/// list of the previous plan; `campaigns`: what the daemon knows of each campaign, by name.
/// Pure.
[[nodiscard]] scan_plan plan_scan(const std::vector<scanned_file>& scan,
                                  const std::map<std::string, watched_file>& watched,
                                  const std::map<std::string, known_campaign>& campaigns);

}  // namespace kforge::runtime
