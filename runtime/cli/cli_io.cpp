#include "runtime/cli/cli_io.hpp"

#include "memory/store_check.hpp"
#include "runtime/base/error.hpp"
#include "runtime/cli/exit_codes.hpp"

#include <cstdio>

namespace kforge::runtime {

std::optional<memory::store> open_existing(const std::filesystem::path& path, int& code, record_check check) {
  if (!std::filesystem::exists(path / "data.mdb")) {
    std::cerr << "kforge: no store at " << path.string() << '\n';
    code = exit_usage;
    return std::nullopt;
  }
  auto store = memory::store::open(path);
  if (!store) {
    std::cerr << "kforge: " << describe(store.error()) << '\n';
    code = exit_store;
    return std::nullopt;
  }
  if (check == record_check::now) {
    // The writable open refused a short file, so the references' pages cannot fault (skip them).
    if (auto err = check_records(*store, memory::reference_pages::skip)) {
      std::cerr << "kforge: " << describe(err) << '\n';
      code = exit_store;
      return std::nullopt;
    }
  }
  return std::move(*store);
}

caf::error check_records(const memory::store& store, memory::reference_pages pages) {
  auto tx = store.read();
  if (!tx)
    return std::move(tx.error());
  return memory::check_records(*tx, pages);
}

bool campaign_known(const memory::txn& tx, const std::string& name, const std::filesystem::path& store,
                    int& code) {
  if (name.empty())
    return true;
  auto c = memory::get_campaign(tx, name);
  if (c)
    return true;
  if (code_of(c.error()) == errc::not_found) {
    std::cerr << "kforge: no campaign named " << name << " in " << store.string() << '\n';
    code = exit_usage;
  } else {
    std::cerr << "kforge: " << describe(c.error()) << '\n';
    code = exit_store;
  }
  return false;
}

std::string three_digits(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string latency_text(double ns) {
  char buf[64];
  if (ns >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3g ms", ns / 1e6);
  else if (ns >= 1e3)
    std::snprintf(buf, sizeof buf, "%.3g us", ns / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3g ns", ns);
  return buf;
}

void print_timing(std::ostream& os, const char* label, const kforge::timing_stats& t) {
  if (t.count <= 0)
    return;
  os << label << "median " << latency_text(t.median_ns) << " +- " << latency_text(t.ci_half_ns)
     << " (95% CI), min " << latency_text(t.min_ns) << ", mean " << latency_text(t.mean_ns) << ", stddev "
     << latency_text(t.stddev_ns) << ", " << t.count << " runs" << (t.noisy ? ", noisy" : "") << '\n';
}

void print_gates(std::ostream& os, const kforge::verdict& v) {
  for (const auto& g : v.gates)
    os << "  gate " << g.gate << ": " << (g.passed ? "passed" : "FAILED")
       << (g.detail.empty() ? "" : "  " + g.detail) << '\n';
}

}  // namespace kforge::runtime
