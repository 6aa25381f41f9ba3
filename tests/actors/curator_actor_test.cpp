#include "actors/curator/curator_actor.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace kforge;
using namespace kforge::actors;

namespace {

struct curator_fixture : test::actor_fixture {
  test::temp_store db;
  retriever_actor retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
  curator_actor curator;

  explicit curator_fixture(curator_config config = {})
      : curator(spawn_curator(sys, db.store(), retriever, config, false)) {
    memory::campaign_record rec;
    rec.id = "c1";
    rec.config_text = "x";
    auto rh = self->request(curator, caf::infinite, campaign_atom_v, rec);
    run();
    rh.receive(
        [](memory::campaign_record& got, std::vector<memory::task_record>& tasks) {
          CHECK(got.status == "running");
          CHECK(tasks.empty());
        },
        [](caf::error& err) { FAIL(describe(err)); });
  }

  ~curator_fixture() {
    self->send_exit(curator, caf::exit_reason::user_shutdown);
    self->send_exit(retriever, caf::exit_reason::user_shutdown);
    run();
  }

  experience make(const std::string& hash, const std::string& task, const std::string& stage, double reward,
                  std::vector<std::string> context = {}) {
    experience e;
    e.candidate.hash = hash;
    e.candidate.campaign = "c1";
    e.candidate.task_id = task;
    e.candidate.stage = stage;
    e.candidate.source = "src " + hash;
    e.candidate.knobs = {{"VEC", 4}};
    e.candidate.verdict = test::timed_verdict(100);
    e.candidate.reward = reward;
    e.candidate.context_ids = std::move(context);
    e.task.campaign = "c1";
    e.task.task_id = task;
    e.task.family = "fam";
    e.task.evaluations = 1;
    return e;
  }

  int64_t record(experience e) {
    int64_t got = -1;
    auto rh = self->request(curator, caf::infinite, record_atom_v, std::move(e));
    run();
    rh.receive([&](int64_t n) { got = n; }, [](caf::error& err) { FAIL(describe(err)); });
    return got;
  }

  memory::memory_item only_item() {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto items = memory::list_memory(*tx);
    REQUIRE(items);
    REQUIRE(items->size() == 1);
    return items->front();
  }
};

// A draft of task `task` with the settings VEC=4, ACC=i: three of them are evidence for one insight.
experience vec4_draft(int i) {
  experience e;
  e.candidate.hash = "h" + std::to_string(i);
  e.candidate.campaign = "c1";
  e.candidate.task_id = "t" + std::to_string(i);
  e.candidate.stage = "draft";
  e.candidate.knobs = {{"VEC", 4}, {"ACC", i}};
  e.candidate.verdict = test::timed_verdict(100);
  e.candidate.speedup_vs_ref = 2.0;
  e.candidate.reward = 1.0;
  e.task.campaign = "c1";
  e.task.task_id = e.candidate.task_id;
  e.task.family = "fam";
  return e;
}

// The texts of the stored insights.
std::vector<std::string> stored_insights(test::temp_store& db) {
  std::vector<std::string> out;
  auto tx = db.store().read();
  REQUIRE(tx);
  auto items = memory::list_memory(*tx);
  REQUIRE(items);
  for (const auto& item : *items)
    if (item.kind == "insight")
      out.push_back(item.text);
  return out;
}

// A curator config that consolidates every 3 experiences (3 observations make an insight), at
// least `min_interval_ms` apart.
curator_config consolidating(int32_t min_interval_ms) {
  curator_config cfg;
  cfg.consolidation.every = 3;
  cfg.consolidation.min_evidence = 3;
  cfg.consolidation.min_interval_ms = min_interval_ms;
  return cfg;
}

}  // namespace

TEST_CASE_METHOD(curator_fixture, "the curator commits an experience and derives a seed item", "[actors]") {
  CHECK(record(make("h1", "t1", "draft", 1.0)) == 1);
  auto item = only_item();
  CHECK(item.kind == "seed");
  CHECK(item.q1 == 1.0);
  auto tx = db.store().read();
  REQUIRE(tx);
  CHECK(*memory::has_candidate(*tx, "h1"));
  CHECK(memory::get_task(*tx, "c1", "t1")->evaluations == 1);
}

TEST_CASE_METHOD(curator_fixture, "a reward updates the Q value of every item in the step's context",
                 "[actors]") {
  record(make("h1", "t1", "draft", 1.0));
  auto seed = only_item();
  // Another task drafted from that seed and failed: Q1 <- 1 + 0.2 * (-1 - 1) = 0.6.
  auto e = make("h2", "t2", "draft", -1.0, {seed.id});
  e.candidate.verdict = test::failed("correctness");
  record(std::move(e));
  auto updated = only_item();
  CHECK(updated.q1 == Approx(0.6));
  CHECK(updated.visits1 == 2);
  SECTION("the retriever sees the new value") {
    context_query q;
    q.family = "fam";
    q.stage = "draft";
    q.n = 1;
    auto rh = self->request(retriever, caf::infinite, retrieve_atom_v, q);
    run();
    rh.receive(
        [](context_reply& reply) {
          REQUIRE(reply.items.size() == 1);
          CHECK(reply.items[0].q1 == Approx(0.6));
        },
        [](caf::error& err) { FAIL(describe(err)); });
  }
}

TEST_CASE_METHOD(curator_fixture, "experiences that arrive together are committed in one group", "[actors]") {
  auto a = self->request(curator, caf::infinite, record_atom_v, make("h1", "t1", "draft", 1.0));
  auto b = self->request(curator, caf::infinite, record_atom_v, make("h2", "t2", "draft", 1.0));
  run();
  // Both replies come after the same commit, so both see both evaluations.
  a.receive([](int64_t n) { CHECK(n == 2); }, [](caf::error& err) { FAIL(describe(err)); });
  b.receive([](int64_t n) { CHECK(n == 2); }, [](caf::error& err) { FAIL(describe(err)); });
}

TEST_CASE_METHOD(curator_fixture, "a candidate already stored is not recorded twice", "[actors]") {
  CHECK(record(make("h1", "t1", "draft", 1.0)) == 1);
  CHECK(record(make("h1", "t1", "draft", 1.0)) == 1);
  CHECK(only_item().visits1 == 1);
}

TEST_CASE_METHOD(curator_fixture, "the curator grows a full map and commits the event", "[actors]") {
  // 1 MiB map; each source is 64 KiB, so the map fills within a few dozen events.
  for (int i = 0; i < 40; ++i) {
    auto e = make("big" + std::to_string(i), "t1", "refine", 0.0);
    e.candidate.seq = i;
    e.candidate.source.assign(64 * 1024, static_cast<char>('a' + i % 26));
    REQUIRE(record(std::move(e)) == i + 1);
  }
  auto tx = db.store().read();
  REQUIRE(tx);
  CHECK(*memory::count_candidates(*tx, "c1") == 40);
}

TEST_CASE_METHOD(curator_fixture,
                 "a refine's parent that comes with the experience is not read from the store", "[actors]") {
  // The parent "p0" was never stored: only the copy the task actor sends can tell the curator
  // what the refine changed.
  auto with_parent = make("h1", "t1", "refine", 0.5);
  with_parent.candidate.parents = {"p0"};
  with_parent.candidate.speedup_vs_parent = 1.5;
  memory::candidate_record parent;
  parent.hash = "p0";
  parent.task_id = "t1";
  parent.knobs = {{"VEC", 2}};
  parent.perf_state = "compute-bound";
  parent.verdict = test::timed_verdict(150);
  with_parent.parent = parent;
  record(std::move(with_parent));
  auto without = make("h2", "t2", "refine", 0.5);
  without.candidate.parents = {"p1"};  // neither stored nor sent: nothing to learn from
  record(std::move(without));
  auto tx = db.store().read();
  REQUIRE(tx);
  auto items = memory::list_memory(*tx);
  REQUIRE(items);
  std::map<std::string, int> kinds;
  for (const auto& item : *items) {
    kinds[item.kind] += 1;
    CHECK(item.source_tasks == std::vector<std::string>{"t1"});
  }
  CHECK(kinds["optimization"] == 1);
  CHECK(kinds["trajectory"] == 1);
}

TEST_CASE("a consolidation pass that falls due writes its insights with the batch that made it due",
          "[actors]") {
  curator_fixture fx{consolidating(0)};
  auto& db = fx.db;
  auto& curator = fx.curator;
  // Three tasks of one family drafted feasible settings that share VEC=4: evidence for one insight.
  for (int i = 0; i < 3; ++i)
    fx.self->send(curator, record_atom_v, vec4_draft(i));
  fx.run();
  auto tx = db.store().read();
  REQUIRE(tx);
  auto items = memory::list_memory(*tx);
  REQUIRE(items);
  int64_t seeds = 0;
  for (const auto& item : *items)
    seeds += item.kind == "seed" ? 1 : 0;
  CHECK(seeds == 3);
  auto insights = stored_insights(db);
  REQUIRE(insights.size() == 1);
  CHECK(insights[0].find("VEC=4 in 3 of 3 feasible drafts") != std::string::npos);
}

TEST_CASE("consolidation passes keep their minimum interval on the actor clock", "[actors]") {
  curator_fixture fx{consolidating(1000)};
  auto& db = fx.db;
  auto& curator = fx.curator;
  auto commit = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      fx.self->send(curator, record_atom_v, vec4_draft(i));
    fx.run();
  };
  commit(0, 3);  // the first pass is never held back
  auto first = stored_insights(db);
  REQUIRE(first.size() == 1);
  CHECK(first[0].find("VEC=4 in 3 of 3 feasible drafts") != std::string::npos);
  commit(3, 6);  // due by count, but not a second later: no pass
  auto held = stored_insights(db);
  REQUIRE(held.size() == 1);
  CHECK(held[0] == first[0]);
  fx.advance(std::chrono::milliseconds(999));
  commit(6, 7);
  CHECK(stored_insights(db) == first);
  fx.advance(std::chrono::milliseconds(1));
  commit(7, 8);  // a second after the first pass: every draft so far counts
  auto later = stored_insights(db);
  REQUIRE(later.size() == 1);
  CHECK(later[0].find("VEC=4 in 8 of 8 feasible drafts") != std::string::npos);
}
