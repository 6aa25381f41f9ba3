// kforge store check / kforge store salvage: what of a store reads, and a copy of what does.

#include "runtime/cli/commands.hpp"

#include "memory/store.hpp"
#include "memory/store_check.hpp"
#include "runtime/base/error.hpp"
#include "runtime/cli/exit_codes.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace kforge::runtime {

namespace {

// At most this many failed records are listed per table in text (--json lists all).
constexpr std::size_t listed_failures = 20;

void print_tables(std::ostream& os, const memory::store_report& r) {
  char line[128];
  std::snprintf(line, sizeof line, "%-16s %10s %8s\n", "table", "read", "failed");
  os << line;
  for (const auto& t : r.tables) {
    std::snprintf(line, sizeof line, "%-16s %10zu %8zu\n", memory::table_name(t.t), t.read, t.failed.size());
    os << line;
  }
  for (const auto& t : r.tables) {
    std::size_t shown = 0;
    for (const auto& f : t.failed) {
      if (shown++ == listed_failures) {
        os << "  " << memory::table_name(t.t) << ": " << (t.failed.size() - listed_failures)
           << " more (--json lists them)\n";
        break;
      }
      os << "  " << memory::table_name(t.t) << " " << f.key << ": " << f.reason << '\n';
    }
  }
}

nlohmann::json report_json(const memory::store_report& r) {
  auto tables = nlohmann::json::array();
  for (const auto& t : r.tables) {
    auto failed = nlohmann::json::array();
    for (const auto& f : t.failed)
      failed.push_back({{"key", f.key}, {"reason", f.reason}});
    tables.push_back({{"table", memory::table_name(t.t)}, {"read", t.read}, {"failed", std::move(failed)}});
  }
  return {{"store", r.path.string()},
          {"clean", r.clean()},
          {"file_problem", r.file_problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.file_problem)},
          {"opened", r.opened},
          {"tables", std::move(tables)}};
}

std::size_t records_read(const memory::store_report& r) {
  std::size_t n = 0;
  for (const auto& t : r.tables)
    n += t.read;
  return n;
}

}  // namespace

int store_check_command(const store_options& opts) {
  auto report = memory::check_store(opts.store);
  if (!report) {
    std::cerr << "kforge: " << describe(report.error()) << '\n';
    return code_of(report.error()) == errc::not_found ? exit_usage : exit_store;
  }
  const auto& r = *report;
  if (opts.json) {
    std::cout << report_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return r.clean() ? exit_ok : exit_store;
  }
  if (!r.file_problem.empty())
    std::cout << "file: " << r.file_problem << '\n';
  if (r.opened)
    print_tables(std::cout, r);
  if (r.clean()) {
    std::cout << "store " << r.path.string() << " is sound: " << records_read(r) << " records in "
              << r.tables.size() << " tables read fine\n";
    return exit_ok;
  }
  std::cout << "store " << r.path.string() << " (" << (r.path / "data.mdb").string() << ") is damaged: ";
  if (r.opened)
    std::cout << r.failures() << " records or runs of them do not read, " << records_read(r) << " do";
  else
    std::cout << "none of its records can be read";
  std::cout << ".\n";
  if (r.opened)
    std::cout << "copy the readable records into a new store with: kforge store salvage --store "
              << r.path.string() << " OUT\n";
  return exit_store;
}

int store_salvage_command(const store_options& opts) {
  auto result = memory::salvage_store(opts.store, opts.out);
  if (!result) {
    std::cerr << "kforge: " << describe(result.error()) << '\n';
    const auto code = code_of(result.error());
    return code == errc::not_found || code == errc::io_failed ? exit_usage : exit_store;
  }
  const auto& r = *result;
  if (!r.source.file_problem.empty())
    std::cout << "file: " << r.source.file_problem << '\n';
  print_tables(std::cout, r.source);
  std::cout << "salvaged " << r.copied << " records of " << opts.store.string() << " into "
            << opts.out.string();
  const auto skipped = r.source.failures();
  if (skipped == 0)
    std::cout << "; nothing was skipped\n";
  else
    std::cout << "; skipped " << skipped << " (listed above)\n";
  // The copy must open and read clean, or it is no recovery.
  auto check = memory::check_store(opts.out);
  if (!check || !check->clean()) {
    std::cerr << "kforge: the salvaged store " << opts.out.string() << " does not check clean"
              << (check ? "" : ": " + describe(check.error())) << '\n';
    return exit_store;
  }
  std::cout << opts.out.string() << " checks clean; use it with --store " << opts.out.string() << '\n';
  return exit_ok;
}

}  // namespace kforge::runtime
