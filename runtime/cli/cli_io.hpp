#pragma once

// What the commands share: opening an existing store, JSON lines of records, writing to a
// file or stdout, and the text of verdicts and timings. Errors are printed to stderr here.

#include "memory/codec.hpp"
#include "memory/store.hpp"
#include "memory/store_check.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/verdict.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

namespace kforge::runtime {

/// Three significant digits, e.g. "1.23".
[[nodiscard]] std::string three_digits(double v);

/// "12.3 us", "4.56 ms", "789 ns": a latency in nanoseconds, three significant digits.
[[nodiscard]] std::string latency_text(double ns);

/// One line "<label>median ... +- ... (95% CI), min, mean, stddev, N runs[, noisy]"; nothing
/// when `t` holds no runs.
void print_timing(std::ostream& os, const char* label, const kforge::timing_stats& t);

/// One line per gate: "  gate NAME: passed|FAILED  detail".
void print_gates(std::ostream& os, const kforge::verdict& v);

/// Whether open_existing reads every record: `later` is for a caller that checks them itself
/// before it uses more than the campaigns table (resume, whose run_campaign checks).
enum class record_check { now, later };

/// Opens the store at `path` if one exists there and every record of it reads (check_records),
/// printing why not to stderr; nullopt on failure with `code` set to the exit code (2 no store
/// there, 5 it does not open or is damaged: the message names the file and how to recover).
[[nodiscard]] std::optional<memory::store> open_existing(const std::filesystem::path& path, int& code,
                                                         record_check check = record_check::now);

/// Reads every record of `store` before a command uses it (memory::check_records): none when
/// all read, else errc::store_corrupt naming the damage and how to recover.
[[nodiscard]] caf::error check_records(const memory::store& store,
                                       memory::reference_pages pages = memory::reference_pages::read);

/// Whether the store holds the campaign `name` ("" names every campaign: true). Prints why not
/// and sets `code`: 2 (exit_usage) for an unknown name, 5 (exit_store) when it cannot be read.
[[nodiscard]] bool campaign_known(const memory::txn& tx, const std::string& name,
                                  const std::filesystem::path& store, int& code);

/// Opens the existing store at `path`, begins a read transaction and returns
/// `read(const memory::read_txn&) -> int`; on failure prints why and returns open_existing's
/// code, or 5 when the transaction does not begin.
template <class Body>
int with_store_read(const std::filesystem::path& path, Body&& read) {
  int code = 0;
  auto store = open_existing(path, code);
  if (!store)
    return code;
  auto tx = store->read();
  if (!tx) {
    std::cerr << "kforge: " << describe(tx.error()) << '\n';
    return 5;
  }
  return read(*tx);
}

/// The JSON text of a record (its JSON form after the schema-version byte).
template <class Record>
[[nodiscard]] caf::expected<std::string> json_line(const Record& rec) {
  auto bytes = memory::encode_json(rec);
  if (!bytes)
    return bytes.error();
  return bytes->substr(1);
}

/// Runs `write(std::ostream&) -> int` on the file `out` (stdout when empty or "-") and
/// returns its exit code, or 1 when the file cannot be written.
template <class Body>
int with_output(const std::string& out, Body&& write) {
  if (out.empty() || out == "-")
    return write(std::cout);
  std::ofstream file{out, std::ios::trunc};
  if (!file) {
    std::cerr << "kforge: cannot write " << out << '\n';
    return 1;
  }
  int code = write(file);
  file.close();
  if (!file) {
    std::cerr << "kforge: writing " << out << " failed\n";
    return 1;
  }
  return code;
}

}  // namespace kforge::runtime
