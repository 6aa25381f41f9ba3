// kforge show CANDIDATE, kforge llm calls, kforge llm show CALL.

#include "runtime/cli/commands.hpp"

#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/cli/cli_io.hpp"
#include "runtime/cli/exit_codes.hpp"
#include "runtime/cli/training_export.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace kforge::runtime {

namespace {

using json = nlohmann::json;

// "2026-12-03 16:40:02" (UTC) of a unix-epoch millisecond time; "-" when unset.
std::string utc_time(int64_t ms) {
  if (ms <= 0)
    return "-";
  const auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Rounded to a whole number, e.g. "1234".
std::string whole(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

// The short id of a call; failed calls, keyed hash "/failed/" ..., say so.
std::string call_label(const std::string& key) {
  return short_id(key) + (key.find("/failed/") != std::string::npos ? "/failed" : "");
}

void print_block(std::ostream& os, const std::string& title, const std::string& text) {
  os << "----- " << title << " -----\n" << text;
  if (text.empty() || text.back() != '\n')
    os << '\n';
}

// The call's header lines and its prompt.
void print_call(std::ostream& os, const memory::llm_call_record& k) {
  os << "call          " << k.request_hash << '\n'
     << "  endpoint " << k.endpoint << "  model " << k.model << "  outcome " << k.outcome << "  attempts "
     << k.attempts << '\n'
     << "  tokens " << k.tokens_in << " in / " << k.tokens_out << " out, latency " << whole(k.latency_ms)
     << " ms, cost " << three_digits(k.cost) << ", " << k.usable << "/" << k.kernels
     << " completions usable\n";
  for (const auto& e : k.errors)
    os << "  failed attempt: " << e << '\n';
  if (k.system_text.empty() && k.user_text.empty())
    os << "  (the prompt was not recorded: the store predates prompts on record)\n";
  else {
    print_block(os, "system prompt", k.system_prompt);
    print_block(os, "user prompt", k.user_prompt);
  }
}

// The one call whose request hash starts with `prefix`, its prompt loaded. Errors: bad_request
// (empty or ambiguous prefix), not_found, and the store's.
caf::expected<memory::llm_call_record> find_call(const memory::read_txn& tx, std::string_view prefix) {
  if (prefix.empty())
    return make_error(errc::bad_request, "call: an empty prefix matches every call");
  auto calls = memory::list_llm_calls(tx, "");
  if (!calls)
    return std::move(calls.error());
  // "abc123/failed" (as llm calls labels a failed call) picks among the failed calls only.
  const auto slash = prefix.find('/');
  const bool failed = slash != std::string_view::npos;
  const auto hash = prefix.substr(0, slash);
  std::vector<memory::llm_call_record> hits;
  for (auto& c : *calls)
    if (c.request_hash.compare(0, hash.size(), hash) == 0 &&
        (c.request_hash.find("/failed/") != std::string::npos) == failed)
      hits.push_back(std::move(c));
  if (hits.empty())
    return make_error(errc::not_found, "call: no LLM call id starts with '" + std::string{prefix} + "'");
  if (hits.size() > 1) {
    std::string which;
    for (std::size_t i = 0; i < hits.size() && i < 4; ++i)
      which += (which.empty() ? "" : ", ") + call_label(hits[i].request_hash);
    return make_error(errc::bad_request, "call: prefix '" + std::string{prefix} + "' is ambiguous (" + which +
                                             (hits.size() > 4 ? ", ..." : "") + "); give more characters");
  }
  if (auto err = memory::load_prompt(tx, hits.front()))
    return err;
  return std::move(hits.front());
}

// Exit code of a lookup error: 2 for what the user typed, 1 for the store.
int lookup_exit(const caf::error& err) {
  const auto ec = code_of(err);
  return ec == errc::not_found || ec == errc::bad_request ? 2 : 1;
}

struct shown {
  memory::candidate_record cand;
  std::vector<memory::memory_item> context;
  std::vector<std::string> missing_context;
  std::optional<memory::llm_call_record> call;
  std::string completion;
  int completion_index = -1;
};

void print_text(std::ostream& os, const shown& s) {
  const auto& c = s.cand;
  const auto& v = c.verdict;
  os << "candidate     " << c.hash << '\n'
     << "task          " << c.campaign << " / " << c.task_id << "  (seq " << c.seq << ", "
     << utc_time(c.created_ms) << ")\n"
     << "stage         " << c.stage << "  policy " << c.policy << "  model " << c.model << '\n'
     << "parent        " << (c.parents.empty() ? "-" : c.parents.front()) << '\n'
     << "technique     " << (c.technique.empty() ? "-" : c.technique) << '\n'
     << "optimization  " << (c.optimization.empty() ? "-" : c.optimization) << '\n'
     << "verdict       " << (v.feasible ? "feasible" : "infeasible")
     << (v.failed_gate.empty() ? "" : ", failed gate " + v.failed_gate) << (v.flagged ? ", flagged" : "")
     << '\n';
  print_gates(os, v);
  print_timing(os, "latency       ", v.timing);
  print_timing(os, "first timing  ", v.first_timing);
  os << "speedups      vs reference " << (c.speedup_vs_ref > 0 ? three_digits(c.speedup_vs_ref) + "x" : "-")
     << ", vs parent " << (c.speedup_vs_parent > 0 ? three_digits(c.speedup_vs_parent) + "x" : "-") << '\n';
  os << "context       " << (c.context_ids.empty() ? "-" : std::to_string(c.context_ids.size()) + " items")
     << '\n';
  for (const auto& m : s.context)
    os << "  " << short_id(m.id) << " " << m.kind << ": " << m.text << '\n';
  for (const auto& id : s.missing_context)
    os << "  " << short_id(id) << " (no longer in the store)\n";
  if (c.call_id.empty()) {
    os << "call          - (not proposed by an LLM)\n";
    return;
  }
  if (!s.call) {
    os << "call          " << c.call_id << " (not on record)\n";
    return;
  }
  print_call(os, *s.call);
  const auto& k = *s.call;
  print_block(os,
              s.completion_index >= 0 ? "completion " + std::to_string(s.completion_index + 1) + " of " +
                                            std::to_string(k.kernels)
                                      : "completion (none of the call's completions holds this source)",
              s.completion);
}

json to_json(const shown& s) {
  json out;
  out["candidate"] = record_json(s.cand);
  json context = json::array();
  for (const auto& m : s.context)
    context.push_back(json{{"id", m.id}, {"kind", m.kind}, {"text", m.text}});
  out["context"] = std::move(context);
  out["missing_context"] = s.missing_context;
  out["call"] = s.call ? call_json(*s.call) : json(nullptr);
  out["completion"] = s.completion;
  out["completion_index"] = s.completion_index;
  return out;
}

}  // namespace

int show_command(const show_options& opts) {
  return with_store_read(opts.store, [&](const memory::read_txn& tx) {
    auto cand = find_candidate(tx, opts.candidate);
    if (!cand) {
      std::cerr << "kforge: show: " << describe(cand.error()) << '\n';
      if (code_of(cand.error()) == errc::not_found && find_call(tx, opts.candidate))
        std::cerr << "kforge: show: '" << opts.candidate << "' is an LLM call: kforge llm show "
                  << opts.candidate << " --store " << opts.store.string() << '\n';
      return lookup_exit(cand.error());
    }
    shown s;
    s.cand = std::move(*cand);
    for (const auto& id : s.cand.context_ids) {
      auto item = memory::get_memory(tx, id);
      if (item)
        s.context.push_back(std::move(*item));
      else if (code_of(item.error()) == errc::not_found)
        s.missing_context.push_back(id);
      else {
        std::cerr << "kforge: show: " << describe(item.error()) << '\n';
        return exit_code_of_error(item.error());
      }
    }
    if (!s.cand.call_id.empty()) {
      auto call = memory::get_llm_call(tx, s.cand.call_id);
      if (call) {
        if (auto err = memory::load_prompt(tx, *call)) {
          std::cerr << "kforge: show: " << describe(err) << '\n';
          return exit_code_of_error(err);
        }
        auto completions = completions_of(*call);
        s.completion_index = completion_index(completions, s.cand.source);
        if (s.completion_index >= 0)
          s.completion = completions[static_cast<std::size_t>(s.completion_index)];
        s.call = std::move(*call);
      } else if (code_of(call.error()) != errc::not_found) {
        std::cerr << "kforge: show: " << describe(call.error()) << '\n';
        return exit_code_of_error(call.error());
      }
    }
    if (opts.json)
      std::cout << to_json(s).dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    else
      print_text(std::cout, s);
    return 0;
  });
}

int llm_calls_command(const show_options& opts) {
  return with_store_read(opts.store, [&](const memory::read_txn& tx) {
    int code = exit_ok;
    if (!campaign_known(tx, opts.campaign, opts.store, code))
      return code;
    auto calls = memory::list_llm_calls(tx, opts.campaign);
    if (!calls) {
      std::cerr << "kforge: " << describe(calls.error()) << '\n';
      return exit_code_of_error(calls.error());
    }
    std::vector<memory::llm_call_record> rows;
    for (auto& c : *calls)
      if (opts.task.empty() || c.task_id == opts.task)
        rows.push_back(std::move(c));
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
    const std::size_t skip = opts.limit > 0 && rows.size() > opts.limit ? rows.size() - opts.limit : 0;
    std::printf("%-19s %-14s %-12s %-6s %-10s %-16s %7s %7s %-12s %5s  %s\n", "time (UTC)", "campaign",
                "task", "stage", "endpoint", "model", "tok_in", "tok_out", "outcome", "k/use", "call");
    for (std::size_t i = skip; i < rows.size(); ++i) {
      const auto& c = rows[i];
      const std::string outcome = c.outcome.size() > 12 ? c.outcome.substr(0, 9) + "..." : c.outcome;
      const std::string ku = std::to_string(c.kernels) + "/" + std::to_string(c.usable);
      std::printf("%-19s %-14s %-12s %-6s %-10s %-16s %7lld %7lld %-12s %5s  %s\n",
                  utc_time(c.created_ms).c_str(), c.campaign.substr(0, 14).c_str(),
                  c.task_id.substr(0, 12).c_str(), c.stage.c_str(), c.endpoint.substr(0, 10).c_str(),
                  c.model.substr(0, 16).c_str(), static_cast<long long>(c.tokens_in),
                  static_cast<long long>(c.tokens_out), outcome.c_str(), ku.c_str(),
                  call_label(c.request_hash).c_str());
    }
    std::cout << rows.size() << " calls";
    if (skip > 0)
      std::cout << " (the latest " << rows.size() - skip << " shown; --limit 0 shows all)";
    std::cout << '\n';
    std::fflush(stdout);
    return 0;
  });
}

int llm_show_command(const show_options& opts) {
  return with_store_read(opts.store, [&](const memory::read_txn& tx) {
    auto call = find_call(tx, opts.candidate);
    if (!call) {
      std::cerr << "kforge: llm show: " << describe(call.error()) << '\n';
      return lookup_exit(call.error());
    }
    // The candidates this call produced: those of its task that name it.
    auto cands = memory::list_candidates(tx, call->campaign, call->task_id);
    if (!cands) {
      std::cerr << "kforge: llm show: " << describe(cands.error()) << '\n';
      return exit_code_of_error(cands.error());
    }
    std::vector<const memory::candidate_record*> mine;
    for (const auto& c : *cands)
      if (c.call_id == call->request_hash)
        mine.push_back(&c);
    const auto completions = completions_of(*call);
    if (opts.json) {
      auto out = call_json(*call);
      json produced = json::array();
      for (const auto* c : mine)
        produced.push_back(json{{"hash", c->hash},
                                {"feasible", c->verdict.feasible},
                                {"failed_gate", c->verdict.failed_gate},
                                {"speedup_vs_ref", c->speedup_vs_ref},
                                {"completion_index", completion_index(completions, c->source)}});
      out["candidates"] = std::move(produced);
      std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
      return 0;
    }
    std::cout << "campaign      " << call->campaign << " / " << call->task_id << "  (" << call->stage << ", "
              << utc_time(call->created_ms) << ")\n";
    print_call(std::cout, *call);
    for (std::size_t i = 0; i < completions.size(); ++i)
      print_block(std::cout,
                  "completion " + std::to_string(i + 1) + " of " + std::to_string(completions.size()),
                  completions[i]);
    std::cout << "candidates    " << (mine.empty() ? "- (no completion gave a kernel on record)" : "")
              << '\n';
    for (const auto* c : mine) {
      const auto& v = c->verdict;
      std::cout << "  " << short_id(c->hash) << "  completion "
                << completion_index(completions, c->source) + 1 << "  "
                << (v.feasible && v.failed_gate.empty() ? "passed" : "failed " + v.failed_gate)
                << (c->speedup_vs_ref > 0 ? ", " + three_digits(c->speedup_vs_ref) + "x the reference" : "")
                << '\n';
    }
    std::cout.flush();
    return 0;
  });
}

}  // namespace kforge::runtime
