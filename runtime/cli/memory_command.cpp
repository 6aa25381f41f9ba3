// kforge snapshot, kforge memory inspect|export, kforge export.

#include "runtime/cli/commands.hpp"

#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/cli/cli_io.hpp"
#include "runtime/cli/exit_codes.hpp"
#include "runtime/cli/training_export.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

namespace kforge::runtime {

namespace {

std::string shorten(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

double sort_value(const memory::memory_item& m) {
  double v = -2;
  if (m.visits1 > 0 || m.kind == "seed")
    v = std::max(v, m.q1);
  if (m.visits2 > 0 || m.kind != "seed")
    v = std::max(v, m.q2);
  return v;
}

}  // namespace

int snapshot_command(const std::filesystem::path& store_path, const std::filesystem::path& out) {
  int code = 0;
  auto store = open_existing(store_path, code);
  if (!store)
    return code;
  if (auto err = store->snapshot(out)) {
    std::cerr << "kforge: snapshot: " << describe(err) << '\n';
    return code_of(err) == errc::io_failed ? 2 : 1;
  }
  std::cout << "kforge: snapshot of " << store_path.string() << " written to " << out.string() << '\n';
  return 0;
}

int memory_inspect_command(const memory_options& opts) {
  return with_store_read(opts.store, [&](const memory::read_txn& tx) {
    auto items = memory::list_memory(tx);
    if (!items) {
      std::cerr << "kforge: " << describe(items.error()) << '\n';
      return exit_code_of_error(items.error());
    }
    std::vector<memory::memory_item> rows;
    std::map<std::string, int64_t> kinds;
    int64_t retired = 0;
    for (auto& m : *items) {
      kinds[m.kind] += 1;
      retired += m.retired ? 1 : 0;
      if (!opts.kind.empty() && m.kind != opts.kind)
        continue;
      if (!opts.family.empty() && m.family != opts.family)
        continue;
      if (m.retired && !opts.retired)
        continue;
      rows.push_back(std::move(m));
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      if (opts.sort == "visits")
        return a.visits1 + a.visits2 > b.visits1 + b.visits2;
      if (opts.sort == "kind")
        return a.kind < b.kind;
      return sort_value(a) > sort_value(b);
    });
    std::cout << "memory items: " << items->size();
    for (const auto& [k, n] : kinds)
      std::cout << "  " << k << "=" << n;
    std::cout << "  retired=" << retired << '\n';
    std::printf("%-12s %-12s %-11s %6s %6s %5s %5s %5s %7s  %-28s %s\n", "id", "kind", "family", "Q1", "Q2",
                "v1", "v2", "n", "gain", "state", "text");
    size_t shown = 0;
    for (const auto& m : rows) {
      if (opts.limit > 0 && shown >= opts.limit)
        break;
      ++shown;
      char gain[16] = "";
      if (m.samples > 0)
        std::snprintf(gain, sizeof(gain), "%.2fx", m.mean_speedup);
      std::printf("%-12s %-12s %-11s %6.2f %6.2f %5lld %5lld %5lld %7s  %-28s %s%s\n",
                  m.id.substr(0, 12).c_str(), m.kind.c_str(), shorten(m.family, 11).c_str(), m.q1, m.q2,
                  static_cast<long long>(m.visits1), static_cast<long long>(m.visits2),
                  static_cast<long long>(m.samples), gain, shorten(m.state, 28).c_str(),
                  m.retired ? "[retired] " : "", shorten(m.text, 110).c_str());
    }
    if (rows.size() > shown)
      std::cout << "(" << rows.size() - shown << " more; --limit 0 shows all)\n";
    std::fflush(stdout);
    return 0;
  });
}

int memory_export_command(const memory_options& opts) {
  return with_store_read(opts.store, [&](const memory::read_txn& tx) {
    return with_output(opts.out, [&](std::ostream& os) {
      auto err = memory::for_each_memory(tx, [&](memory::memory_item&& item) -> caf::error {
        auto line = json_line(item);
        if (!line)
          return line.error();
        os << *line << '\n';
        return caf::none;
      });
      if (err) {
        std::cerr << "kforge: " << describe(err) << '\n';
        return exit_code_of_error(err);
      }
      return 0;
    });
  });
}

namespace {

// `kforge export --format calls|steps`: one JSON object per line from a scan.
int export_lines(const memory_options& opts, const memory::txn& tx) {
  return with_output(opts.out, [&](std::ostream& os) {
    auto write = [&](nlohmann::json&& line) -> caf::error {
      os << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      return caf::none;
    };
    auto err =
        opts.format == "calls"
            ? for_each_call(tx, opts.campaign, {}, write)
            : for_each_step(tx, opts.campaign, step_filter{opts.correct_only, opts.above_noise}, write);
    if (err) {
      std::cerr << "kforge: export: " << describe(err) << '\n';
      return exit_code_of_error(err);
    }
    return 0;
  });
}

}  // namespace

int export_command(const memory_options& opts) {
  if (opts.format != "candidates" && opts.format != "calls" && opts.format != "steps" &&
      opts.format != "tasks") {
    std::cerr << "kforge: export: --format '" << opts.format
              << "' is not candidates, calls, steps or tasks\n";
    return 2;
  }
  if ((opts.correct_only || opts.above_noise) && opts.format != "steps") {
    std::cerr << "kforge: export: --correct-only and --above-noise filter --format steps only\n";
    return 2;
  }
  return with_store_read(opts.store, [&](const memory::read_txn& tx) {
    int code = exit_ok;
    if (!campaign_known(tx, opts.campaign, opts.store, code))
      return code;
    if (opts.format != "candidates" && opts.format != "tasks")
      return export_lines(opts, tx);
    auto campaigns = memory::list_campaigns(tx);
    if (!campaigns) {
      std::cerr << "kforge: " << describe(campaigns.error()) << '\n';
      return exit_code_of_error(campaigns.error());
    }
    return with_output(opts.out, [&](std::ostream& os) {
      for (const auto& c : *campaigns) {
        if (!opts.campaign.empty() && c.id != opts.campaign)
          continue;
        auto tasks = memory::list_tasks(tx, c.id);
        if (!tasks) {
          std::cerr << "kforge: " << describe(tasks.error()) << '\n';
          return exit_code_of_error(tasks.error());
        }
        for (const auto& t : *tasks) {
          if (opts.format == "tasks") {
            // The task record: phase, best, and the final re-measurement (final_*).
            auto line = json_line(t);
            if (!line) {
              std::cerr << "kforge: " << describe(line.error()) << '\n';
              return exit_code_of_error(line.error());
            }
            os << *line << '\n';
            continue;
          }
          auto cands = memory::list_candidates(tx, c.id, t.task_id);
          if (!cands) {
            std::cerr << "kforge: " << describe(cands.error()) << '\n';
            return exit_code_of_error(cands.error());
          }
          for (auto& cand : *cands) {
            if (!opts.sources)
              cand.source.clear();
            auto line = json_line(cand);
            if (!line) {
              std::cerr << "kforge: " << describe(line.error()) << '\n';
              return exit_code_of_error(line.error());
            }
            os << *line << '\n';
          }
        }
      }
      return 0;
    });
  });
}

}  // namespace kforge::runtime
