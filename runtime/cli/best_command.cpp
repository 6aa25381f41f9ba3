// kforge best: each task's best candidate written out as a source file, with a summary table.

#include "runtime/cli/commands.hpp"

#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/scoring.hpp"
#include "runtime/cli/cli_io.hpp"
#include "runtime/cli/exit_codes.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace kforge::runtime {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// One task's line of the summary; `hash` is empty when the task has no feasible candidate.
struct best_row {
  std::string task_id;
  std::string backend;
  double reference_ns = 0;
  double best_ns = 0;
  double speedup = 0;
  double final_speedup = 0;  ///< 0: the best was not re-measured at the end (or failed it)
  std::string verdict;
  int depth = 0;  ///< parent hops from the best back to a draft
  std::string hash;
  std::string source;
  std::string file;  ///< the file's name inside OUT/<campaign>
};

// The file name extension of a task's backend: the language its candidates are written in.
std::string extension_of(const std::string& backend) {
  if (backend == "cpu")
    return ".cpp";
  if (backend == "cuda")
    return ".cu";
  if (backend == "kernelbench")
    return ".py";
  return ".txt";
}

// `name` safe as one file or directory name: characters other than letters, digits, '-', '_'
// and '.' become '_', and "." / ".." become "_".
std::string file_name(const std::string& name) {
  std::string out;
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '-' || ch == '_' || ch == '.';
    out += ok ? ch : '_';
  }
  return out.empty() || out == "." || out == ".." ? "_" : out;
}

// Parent hops from `c` back to a draft (or a candidate with no parent, or one no longer on
// record, which counts as the last hop), following first parents.
caf::expected<int> lineage_depth(const memory::read_txn& tx, const memory::candidate_record& c) {
  int hops = 0;
  std::set<std::string> seen{c.hash};
  auto at = c;
  while (at.stage != "draft" && !at.parents.empty() && seen.insert(at.parents.front()).second) {
    ++hops;
    auto parent = memory::get_candidate(tx, at.parents.front());
    if (!parent) {
      if (code_of(parent.error()) == errc::not_found)
        break;
      return std::move(parent.error());
    }
    at = std::move(*parent);
  }
  return hops;
}

// "passed", "flagged" (faster than the campaign's flag_speedup: re-measured, it held) or
// "review" (the best failed a gate when re-measured against the reference at the end).
std::string verdict_text(const memory::task_record& t, const memory::candidate_record& c) {
  if (t.final_hash == c.hash && t.final_latency_ns <= 0 && !t.final_detail.empty())
    return "review: " + t.final_detail;
  return c.verdict.flagged ? "flagged" : "passed";
}

// The rows of `campaign`'s tasks, in the store's order. Store errors come back as they are.
caf::expected<std::vector<best_row>> read_rows(const memory::read_txn& tx, const std::string& campaign) {
  auto tasks = memory::list_tasks(tx, campaign);
  if (!tasks)
    return std::move(tasks.error());
  std::vector<best_row> rows;
  for (const auto& t : *tasks) {
    best_row r;
    r.task_id = t.task_id;
    r.backend = t.backend;
    r.reference_ns = t.reference_latency_ns;
    if (!t.best_hash.empty()) {
      auto c = memory::get_candidate(tx, t.best_hash);
      if (!c)
        return std::move(c.error());
      auto depth = lineage_depth(tx, *c);
      if (!depth)
        return std::move(depth.error());
      r.best_ns = t.best_latency_ns;
      r.speedup = kforge::speedup(t.reference_latency_ns, t.best_latency_ns);
      if (t.final_hash == t.best_hash)
        r.final_speedup = kforge::speedup(t.final_reference_ns, t.final_latency_ns);
      r.verdict = verdict_text(t, *c);
      r.depth = *depth;
      r.hash = c->hash;
      r.source = std::move(c->source);
      r.file = file_name(t.task_id) + extension_of(t.backend);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string times(double s) {
  return s > 0 ? three_digits(s) + "x" : "-";
}

std::string summary_text(const std::string& campaign, const std::vector<best_row>& rows) {
  std::ostringstream os;
  size_t with_best = 0;
  for (const auto& r : rows)
    with_best += r.hash.empty() ? 0U : 1U;
  os << "# Best kernels of campaign " << campaign << "\n\n"
     << with_best << " of " << rows.size() << " tasks have a feasible candidate.\n\n"
     << "| task | reference | best | speedup | final | verdict | lineage depth | candidate | file |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    os << "| " << r.task_id << " | " << (r.reference_ns > 0 ? latency_text(r.reference_ns) : "-") << " | ";
    if (r.hash.empty())
      os << "- | - | - | no feasible candidate | - | - | - |\n";
    else
      os << latency_text(r.best_ns) << " | " << times(r.speedup) << " | " << times(r.final_speedup) << " | "
         << r.verdict << " | " << r.depth << " | " << short_id(r.hash) << " | " << r.file << " |\n";
  }
  os << "\nspeedup: reference latency / best latency (medians) during the campaign; final: the best "
        "re-measured against the reference, interleaved, as the task ended (- when not).\n";
  return os.str();
}

json summary_json(const std::string& campaign, const fs::path& dir, const std::vector<best_row>& rows) {
  json tasks = json::array();
  for (const auto& r : rows) {
    json t{{"task", r.task_id}, {"backend", r.backend}, {"reference_ns", r.reference_ns}};
    if (r.hash.empty())
      t["best"] = nullptr;
    else
      t["best"] = json{{"hash", r.hash},
                       {"latency_ns", r.best_ns},
                       {"speedup", r.speedup},
                       {"final_speedup", r.final_speedup > 0 ? json(r.final_speedup) : json(nullptr)},
                       {"verdict", r.verdict},
                       {"lineage_depth", r.depth},
                       {"file", (dir / r.file).string()}};
    tasks.push_back(std::move(t));
  }
  return json{{"campaign", campaign}, {"out", dir.string()}, {"tasks", std::move(tasks)}};
}

// Writes `text` to `path`; false (printed why) when it cannot.
bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream f{path, std::ios::binary | std::ios::trunc};
  f << text;
  f.close();
  if (!f) {
    std::cerr << "kforge: best: cannot write " << path.string() << '\n';
    return false;
  }
  return true;
}

// The campaign to take: the one named, or the store's only one. Prints why not and sets `code`.
std::optional<std::string> pick_campaign(const memory::read_txn& tx, const best_options& opts, int& code) {
  if (!opts.campaign.empty()) {
    if (!campaign_known(tx, opts.campaign, opts.store, code))
      return std::nullopt;
    return opts.campaign;
  }
  auto campaigns = memory::list_campaigns(tx);
  if (!campaigns) {
    std::cerr << "kforge: " << describe(campaigns.error()) << '\n';
    code = exit_code_of_error(campaigns.error());
    return std::nullopt;
  }
  if (campaigns->size() == 1)
    return campaigns->front().id;
  code = exit_usage;
  if (campaigns->empty()) {
    std::cerr << "kforge: best: no campaign in " << opts.store.string() << '\n';
    return std::nullopt;
  }
  std::cerr << "kforge: best: " << opts.store.string() << " holds " << campaigns->size()
            << " campaigns; name one with --campaign:";
  for (const auto& c : *campaigns)
    std::cerr << ' ' << c.id;
  std::cerr << '\n';
  return std::nullopt;
}

}  // namespace

int best_command(const best_options& opts) {
  std::string campaign;
  std::vector<best_row> rows;
  int code = with_store_read(opts.store, [&](const memory::read_txn& tx) {
    int picked = exit_ok;
    auto name = pick_campaign(tx, opts, picked);
    if (!name)
      return picked;
    campaign = *name;
    auto read = read_rows(tx, campaign);
    if (!read) {
      std::cerr << "kforge: best: " << describe(read.error()) << '\n';
      return exit_code_of_error(read.error());
    }
    rows = std::move(*read);
    return exit_ok;
  });
  if (code != exit_ok)
    return code;

  const auto dir = opts.out / file_name(campaign);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    std::cerr << "kforge: best: " << dir.string() << " exists and is not a directory\n";
    return exit_usage;
  }
  if (fs::is_directory(dir, ec) && !fs::is_empty(dir, ec) && !opts.force) {
    std::cerr << "kforge: best: " << dir.string()
              << " is not empty; pass --force to overwrite the files it has in common with this run\n";
    return exit_usage;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "kforge: best: cannot create " << dir.string() << ": " << ec.message() << '\n';
    return exit_failure;
  }
  bool any = false;
  for (const auto& r : rows) {
    if (r.hash.empty())
      continue;
    any = true;
    if (!write_file(dir / r.file, r.source))
      return exit_failure;
  }
  const auto summary = summary_text(campaign, rows);
  if (!write_file(dir / "SUMMARY.md", summary))
    return exit_failure;
  if (opts.json)
    std::cout << summary_json(campaign, dir, rows).dump(2, ' ', false, json::error_handler_t::replace)
              << '\n';
  else
    std::cout << summary << "\nwritten to " << dir.string() << '\n';
  std::cout.flush();
  return any ? exit_ok : exit_nothing_achieved;
}

}  // namespace kforge::runtime
