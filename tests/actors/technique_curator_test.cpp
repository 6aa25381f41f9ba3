// The curator keeps the knowledge base of model kernels: one <state, technique> entry per
// (family, parent state, technique), fed by every verified refine candidate that names it.

#include "actors/curator/curator_actor.hpp"
#include "actors/curator/technique_rules.hpp"
#include "actors/task/technique_catalogue.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_store.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include <map>

using namespace kforge;
using namespace kforge::actors;

namespace {

const std::string parent_state = "softmax|memory|eff1|roofline";

struct kb_fixture : test::actor_fixture {
  test::temp_store db;
  retriever_actor retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
  curator_actor curator = spawn_curator(sys, db.store(), retriever, curator_config{}, false);

  kb_fixture() {
    memory::campaign_record rec;
    rec.id = "c1";
    rec.config_text = "x";
    auto rh = self->request(curator, caf::infinite, campaign_atom_v, rec);
    run();
    rh.receive([](memory::campaign_record&, std::vector<memory::task_record>&) {},
               [](caf::error& err) { FAIL(describe(err)); });
    // The parents, one per task: drafts of the same family in the same state.
    for (const char* task : {"t1", "t2"}) {
      auto e = make(std::string{"parent-"} + task, task, "draft", test::timed_verdict(1000), "");
      e.candidate.perf_state = parent_state;
      record(std::move(e));
    }
  }

  ~kb_fixture() {
    self->send_exit(curator, caf::exit_reason::user_shutdown);
    self->send_exit(retriever, caf::exit_reason::user_shutdown);
    run();
  }

  std::map<std::string, int64_t> next_seq;  // a task's candidates each take the next sequence number

  experience make(const std::string& hash, const std::string& task, const std::string& stage,
                  kforge::verdict v, const std::string& technique) {
    experience e;
    e.candidate.hash = hash;
    e.candidate.campaign = "c1";
    e.candidate.task_id = task;
    e.candidate.seq = next_seq[task]++;
    e.candidate.stage = stage;
    e.candidate.source = "src " + hash;
    e.candidate.verdict = std::move(v);
    e.candidate.reward = e.candidate.verdict.feasible ? 0.5 : -1.0;
    e.candidate.technique = technique;
    if (stage == "refine")
      e.candidate.parents = {"parent-" + task};
    // The parent ran 1000 ns; the task actor's gain beyond the noise.
    if (stage == "refine" && e.candidate.verdict.is_timed())
      e.candidate.speedup_vs_parent = 1000.0 / e.candidate.verdict.timing.median_ns;
    e.task.campaign = "c1";
    e.task.task_id = task;
    e.task.family = "softmax";
    e.task.backend = "cpu";
    return e;
  }

  void record(experience e) {
    auto rh = self->request(curator, caf::infinite, record_atom_v, std::move(e));
    run();
    rh.receive([](int64_t) {}, [](caf::error& err) { FAIL(describe(err)); });
  }

  memory::memory_item stored(const std::string& id) {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto item = memory::get_memory(*tx, id);
    REQUIRE(item);
    return *item;
  }

  std::vector<memory::memory_item> all() {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto items = memory::list_memory(*tx);
    REQUIRE(items);
    return *items;
  }
};

}  // namespace

TEST_CASE_METHOD(kb_fixture, "the curator updates a technique's predicted speedup, confidence and uses",
                 "[actors][technique]") {
  auto id = technique_entry_id("cpu", "softmax", parent_state, "simd_vectorization");
  // t1: 2x over its 1000 ns parent; t2 (another task, same family and state): 4x; then a failure.
  record(make("c-a", "t1", "refine", test::timed_verdict(500), "simd_vectorization"));
  auto one = stored(id);
  CHECK(one.kind == "optimization");
  CHECK(one.state == parent_state);
  CHECK(one.samples == 1);
  CHECK(one.mean_speedup == Approx(2.0));
  CHECK(one.visits2 == 1);
  CHECK_THAT(one.text, Catch::Contains("simd_vectorization gave 2.00x over the parent"));
  std::string tid;
  std::string backend;
  REQUIRE(technique_of_entry(one, tid, backend));
  CHECK(tid == "simd_vectorization");
  CHECK(backend == "cpu");

  record(make("c-b", "t2", "refine", test::timed_verdict(250), "simd_vectorization, loop_unrolling"));
  auto failed = make("c-c", "t1", "refine", test::failed("compile"), "simd_vectorization");
  failed.candidate.context_ids = {id};  // it was drawn for this step: one use, counted once
  record(std::move(failed));
  auto three = stored(id);
  CHECK(three.samples == 3);
  CHECK(three.mean_speedup == Approx((2.0 + 4.0 + 0.0) / 3));  // an infeasible child counts 0
  CHECK(three.feasible_samples == 2);
  CHECK(three.visits2 == 3);
  CHECK(three.source_tasks.size() == 2);
  CHECK_THAT(three.text, Catch::Contains("in 3 tries (2 correct)"));
  CHECK(stored(technique_entry_id("cpu", "softmax", parent_state, "loop_unrolling")).samples == 1);

  // Neither drafts, nor parse failures, nor candidates naming nothing feed the base.
  // (Their trajectories in words are memory_rules' business; only the technique entries count here.)
  auto entries = [&] {
    auto items = all();
    return std::count_if(items.begin(), items.end(), [](const memory::memory_item& m) {
      return m.kind == "optimization" || m.kind == "technique";
    });
  };
  auto before = entries();
  auto parse = make("c-d", "t1", "refine", test::failed(kforge::gate_parse), "simd_vectorization");
  record(std::move(parse));
  record(make("c-e", "t1", "refine", test::timed_verdict(500), ""));
  CHECK(entries() == before);
  CHECK(stored(id).samples == 3);
}

TEST_CASE_METHOD(kb_fixture, "a technique the catalogue lacks joins it through the store",
                 "[actors][technique]") {
  technique t;
  t.id = "warp_tiling";
  t.name = "Warp tiling";
  t.summary = "Tiled it.";
  t.applies_to = {"memory"};
  t.families = {"softmax"};
  auto e = make("c-n", "t1", "refine", test::timed_verdict(800), "warp_tiling");
  e.new_techniques = {learned_technique_item(t, "cpu", "softmax", "t1", 1)};
  record(std::move(e));
  auto again = make("c-m", "t2", "refine", test::timed_verdict(900), "warp_tiling");
  again.new_techniques = {learned_technique_item(t, "cpu", "softmax", "t2", 2)};
  record(std::move(again));
  int learned = 0;
  for (const auto& item : all()) {
    technique back;
    std::string backend;
    if (!learned_technique(item, back, backend))
      continue;
    ++learned;
    CHECK(back.id == "warp_tiling");
    CHECK(item.source_tasks == std::vector<std::string>{"t1", "t2"});
    CHECK(item.visits1 + item.visits2 == 0);  // a catalogue entry, not a valued memory item
  }
  CHECK(learned == 1);
  CHECK(stored(technique_entry_id("cpu", "softmax", parent_state, "warp_tiling")).samples == 2);
}

TEST_CASE_METHOD(kb_fixture, "a suspect speedup enters no knowledge-base entry and no item",
                 "[actors][technique]") {
  auto id = technique_entry_id("cpu", "softmax", parent_state, "simd_vectorization");
  record(make("c-a", "t1", "refine", suspect_verdict(test::timed_verdict(5), "did not hold"),
              "simd_vectorization"));
  for (const auto& item : all())
    CHECK(item.id != id);
  auto tx = db.store().read();
  REQUIRE(tx);
  auto cand = memory::get_candidate(*tx, "c-a");
  REQUIRE(cand);  // the candidate itself is on record, with its verdict
  CHECK(cand->verdict.is_suspect());
}
