#include "actors/curator/curator_actor.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;

namespace {

struct curator_fixture : test::actor_fixture {
  test::temp_store db;
  retriever_actor retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
  curator_actor curator = spawn_curator(sys, db.store(), retriever, curator_config{}, false);

  curator_fixture() {
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
