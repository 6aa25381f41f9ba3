// The data behind `kforge export --format calls|steps` and `kforge show`: gains with their
// noise, the step filters, and the link from a candidate to its call's prompt and completion.
#include "runtime/cli/training_export.hpp"

#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "tests/support/temp_store.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace kforge;
using namespace kforge::runtime;
using kforge::test::temp_store;

namespace {

kforge::timing_stats timing(double median, double ci, double stddev = 0) {
  kforge::timing_stats t;
  t.median_ns = median;
  t.ci_half_ns = ci;
  t.stddev_ns = stddev;
  t.count = 20;
  return t;
}

memory::candidate_record candidate(const std::string& hash, int64_t seq, bool feasible, double median,
                                   const std::string& parent = "", const std::string& call = "") {
  memory::candidate_record c;
  c.hash = hash;
  c.campaign = "c";
  c.task_id = "t";
  c.seq = seq;
  c.stage = parent.empty() ? "draft" : "refine";
  c.source = "void k_" + hash.substr(0, 4) + "() {}\n";
  if (!parent.empty())
    c.parents = {parent};
  c.call_id = call;
  c.verdict.feasible = feasible;
  if (!feasible)
    c.verdict.failed_gate = "correctness";
  if (feasible && median > 0)
    c.verdict.timing = timing(median, median * 0.02);
  return c;
}

std::string hash(char c) {
  return std::string(64, c);
}

/// A campaign with a draft parent and three refine children: faster beyond the noise, faster
/// within it, infeasible. Each child came from a call on record.
void write_steps(memory::store& st) {
  auto tx = st.write();
  REQUIRE(tx);
  memory::campaign_record camp;
  camp.id = "c";
  REQUIRE_FALSE(memory::put_campaign(*tx, camp));
  memory::task_record task;
  task.campaign = "c";
  task.task_id = "t";
  REQUIRE_FALSE(memory::put_task(*tx, task));
  REQUIRE_FALSE(memory::put_candidate(*tx, candidate(hash('a'), 0, true, 1000)));
  REQUIRE_FALSE(memory::put_candidate(*tx, candidate(hash('b'), 1, true, 500, hash('a'), hash('1'))));
  REQUIRE_FALSE(memory::put_candidate(*tx, candidate(hash('c'), 2, true, 990, hash('a'), hash('1'))));
  REQUIRE_FALSE(memory::put_candidate(*tx, candidate(hash('d'), 3, false, 0, hash('a'), hash('2'))));
  for (char id : {'1', '2'}) {
    memory::llm_call_record call;
    call.request_hash = hash(id);
    call.campaign = "c";
    call.task_id = "t";
    call.outcome = "ok";
    call.system_prompt = "You write fast kernels.";
    call.user_prompt = std::string{"Task id: t, refine call "} + id;
    call.response = id == '1' ? R"(["```cpp\nvoid k_bbbb() {}\n```", "```cpp\nvoid k_cccc() {}\n```"])"
                              : R"(["```cpp\nvoid k_dddd() {}\n```"])";
    REQUIRE_FALSE(memory::put_llm_call(*tx, call));
  }
  REQUIRE_FALSE(tx->commit());
}

std::vector<nlohmann::json> steps(memory::store& st, step_filter filter) {
  auto tx = st.read();
  REQUIRE(tx);
  std::vector<nlohmann::json> out;
  REQUIRE_FALSE(for_each_step(*tx, "c", filter, [&](nlohmann::json&& j) -> caf::error {
    out.push_back(std::move(j));
    return caf::none;
  }));
  return out;
}

}  // namespace

TEST_CASE("a step's gain is parent over child median, bounded by the noise of both", "[runtime]") {
  SECTION("with confidence intervals") {
    auto g = measure_gain(timing(1000, 20), timing(500, 10));
    CHECK(g.gain == Approx(2.0));
    CHECK(g.low == Approx(980.0 / 510.0));
    CHECK(g.high == Approx(1020.0 / 490.0));
    CHECK(g.noise == Approx(std::sqrt(0.02 * 0.02 + 0.02 * 0.02)));
    CHECK(g.noise_from == "ci");
  }
  SECTION("a measurement without a CI falls back to the standard deviations") {
    auto g = measure_gain(timing(1000, 0, 100), timing(1000, 5, 50));
    CHECK(g.noise_from == "stddev");
    CHECK(g.low == Approx(900.0 / 1050.0));
  }
  SECTION("an untimed side has no gain") {
    auto g = measure_gain(timing(1000, 20), kforge::timing_stats{});
    CHECK(g.gain == 0);
    CHECK(g.noise_from.empty());
  }
}

TEST_CASE_METHOD(temp_store,
                 "export steps pairs each child with its parent, prompt and completion, and filters",
                 "[runtime]") {
  write_steps(store());
  SECTION("unfiltered: every child with a parent") {
    auto all = steps(store(), {});
    REQUIRE(all.size() == 3);
    const auto& fast = all[0];
    CHECK(fast["child"]["hash"] == hash('b'));
    CHECK(fast["parent"]["hash"] == hash('a'));
    CHECK(fast["parent"]["source"] == "void k_aaaa() {}\n");
    CHECK(fast["child"]["verdict"]["feasible"] == true);
    CHECK(fast["call_id"] == hash('1'));
    CHECK(fast["system_prompt"] == "You write fast kernels.");
    CHECK(fast["user_prompt"] == "Task id: t, refine call 1");
    // Of the call's two completions, the one that holds this child's source.
    CHECK(fast["completion"] == "```cpp\nvoid k_bbbb() {}\n```");
    CHECK(all[1]["completion"] == "```cpp\nvoid k_cccc() {}\n```");
    CHECK(fast["gain"].get<double>() == Approx(2.0));
    CHECK(fast["gain_low"].get<double>() > 1.0);
    CHECK(all[2]["gain"].is_null());  // the infeasible child was not timed
  }
  SECTION("--correct-only drops the infeasible child") {
    auto kept = steps(store(), {true, false});
    REQUIRE(kept.size() == 2);
    CHECK(kept[0]["child"]["hash"] == hash('b'));
    CHECK(kept[1]["child"]["hash"] == hash('c'));
  }
  SECTION("--above-noise keeps only the gain whose lower bound beats 1") {
    auto kept = steps(store(), {false, true});
    REQUIRE(kept.size() == 1);
    CHECK(kept[0]["child"]["hash"] == hash('b'));
  }
}

TEST_CASE_METHOD(temp_store, "calls export with their prompt and completions", "[runtime]") {
  write_steps(store());
  auto tx = store().read();
  REQUIRE(tx);
  std::vector<nlohmann::json> calls;
  REQUIRE_FALSE(for_each_call(*tx, "c", "", [&](nlohmann::json&& j) -> caf::error {
    calls.push_back(std::move(j));
    return caf::none;
  }));
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]["user_prompt"] == "Task id: t, refine call 1");
  CHECK(calls[0]["completions"].size() == 2);
  CHECK(calls[0].count("response") == 0);
  CHECK(calls[1]["system_prompt"] == calls[0]["system_prompt"]);
  CHECK(tx->entries(memory::table::texts).value() == 3);  // one system prompt, two user prompts
}

TEST_CASE_METHOD(temp_store, "a candidate is found by a unique prefix, else a clear error", "[runtime]") {
  write_steps(store());
  auto tx = store().read();
  REQUIRE(tx);
  CHECK(find_candidate(*tx, "bbbb").value().hash == hash('b'));
  CHECK(find_candidate(*tx, hash('c')).value().hash == hash('c'));
  auto absent = find_candidate(*tx, "ffff");
  REQUIRE_FALSE(absent);
  CHECK(code_of(absent.error()) == errc::not_found);
  auto none = find_candidate(*tx, "");
  REQUIRE_FALSE(none);
  CHECK(code_of(none.error()) == errc::bad_request);
  {
    auto wtx = store().write();
    REQUIRE(wtx);
    REQUIRE_FALSE(memory::put_candidate(*wtx, candidate("bbbb" + std::string(60, 'e'), 4, true, 700)));
    REQUIRE_FALSE(wtx->commit());
  }
  tx->close();
  auto tx2 = store().read();
  REQUIRE(tx2);
  auto ambiguous = find_candidate(*tx2, "bbbb");
  REQUIRE_FALSE(ambiguous);
  CHECK(code_of(ambiguous.error()) == errc::bad_request);
  CHECK(describe(ambiguous.error()).find("ambiguous") != std::string::npos);
}
