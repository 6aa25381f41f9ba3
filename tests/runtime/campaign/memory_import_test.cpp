// Warm starts from another store's memory (written by the curator, learned by the retriever at
// once), and the start order of tasks.

#include "runtime/campaign/campaign_launch.hpp"
#include "runtime/campaign/campaign_supervisor.hpp"
#include "runtime/campaign/machine_roofline.hpp"

#include "actors/curator/curator_actor.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/system_config.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/temp_store.hpp"

#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>

#include <algorithm>

using namespace kforge;
using namespace kforge::runtime;

namespace {

memory::memory_item item(const std::string& id, double q2) {
  memory::memory_item m;
  m.id = id;
  m.kind = "optimization";
  m.family = "softmax";
  m.q2 = q2;
  m.visits2 = 3;
  m.source_tasks = {"softmax_a"};
  return m;
}

void put(memory::store& s, const std::vector<memory::memory_item>& items, const std::string& campaign) {
  auto tx = s.write();
  REQUIRE(tx);
  for (const auto& m : items)
    REQUIRE_FALSE(memory::put_memory(*tx, m));
  memory::campaign_record c;
  c.id = campaign;
  REQUIRE_FALSE(memory::put_campaign(*tx, c));
  REQUIRE_FALSE(tx->commit());
}

// Reads `from` for `target` and has a curator over `target` import it (the runtime's path).
struct import_fixture : test::actor_fixture {
  test::temp_store& target;
  actors::retriever_actor retriever =
      actors::spawn_retriever(sys, std::vector<memory::memory_item>{}, actors::ranking_config{});
  actors::curator_actor curator;

  explicit import_fixture(test::temp_store& t)
      : target(t),
        curator(actors::spawn_curator(sys, t.store(), retriever, actors::curator_config{}, false)) {}
  ~import_fixture() {
    self->send_exit(curator, caf::exit_reason::user_shutdown);
    self->send_exit(retriever, caf::exit_reason::user_shutdown);
    run();
  }
  import_fixture(const import_fixture&) = delete;
  import_fixture& operator=(const import_fixture&) = delete;

  caf::expected<int64_t> import_from(const std::filesystem::path& from) {
    auto source = read_memory_source(target.store(), from);
    if (!source)
      return source.error();
    if (!*source)
      return int64_t{0};
    caf::expected<int64_t> got{int64_t{-1}};
    auto rh = self->request(curator, caf::infinite, import_atom_v, std::move(**source));
    run();
    rh.receive([&](int64_t n) { got = n; }, [&](caf::error& err) { got = std::move(err); });
    return got;
  }
};

}  // namespace

TEST_CASE("a campaign starts warm from a snapshot's memory items only, once", "[runtime]") {
  test::temp_store source;
  put(source.store(), {item("m1", 0.5), item("m2", -0.25)}, "other");
  auto snap = source.scratch_path("snap");
  REQUIRE_FALSE(source.store().snapshot(snap));

  test::temp_store target;
  put(target.store(), {}, "mine");  // a campaign record of its own
  {
    auto tx = target.store().write();
    REQUIRE(tx);
    REQUIRE_FALSE(memory::put_memory(*tx, item("m2", 0.9)));  // learned here already
    REQUIRE_FALSE(tx->commit());
  }
  import_fixture fx{target};
  auto copied = fx.import_from(snap);
  REQUIRE(copied);
  CHECK(*copied == 1);
  {
    auto tx = target.store().read();
    REQUIRE(tx);
    auto m1 = memory::get_memory(*tx, "m1");
    REQUIRE(m1);
    CHECK(m1->q2 == 0.5);  // values come along
    CHECK(m1->visits2 == 3);
    CHECK(memory::get_memory(*tx, "m2")->q2 == 0.9);  // the target's own value wins
    CHECK(code_of(memory::get_campaign(*tx, "other").error()) == errc::not_found);  // memory items only
  }
  SECTION("importing again (a resumed campaign) copies nothing") {
    auto again = fx.import_from(snap);
    REQUIRE(again);
    CHECK(*again == 0);
  }
  SECTION("a path without a store is a config error") {
    auto bad = fx.import_from(source.scratch_path("nothing"));
    REQUIRE_FALSE(bad);
    CHECK(code_of(bad.error()) == errc::bad_config);
  }
}

TEST_CASE("items imported for a campaign reach the shared retriever in the same run", "[runtime]") {
  test::temp_store source;
  put(source.store(), {item("m1", 0.5), item("m2", -0.25)}, "other");
  auto snap = source.scratch_path("snap");
  REQUIRE_FALSE(source.store().snapshot(snap));

  // As in the daemon: the retriever and curator exist (and the retriever has read the empty
  // store) before a campaign with [memory] from is launched. Synchronised by replies only.
  test::temp_store target;
  actors::system_config cfg{2};
  caf::actor_system sys{cfg};
  auto retriever = actors::spawn_retriever(sys, target.store(), actors::ranking_config{});
  auto curator = actors::spawn_curator(sys, target.store(), retriever, actors::curator_config{}, false);
  caf::scoped_actor self{sys};

  campaign_config campaign;
  campaign.name = "warm";
  campaign.memory.from = snap;
  campaign.machine.measure = false;
  campaign.store_path = target.store_path();
  prepare_options opts;
  opts.make_backends = false;
  launch_step failed = launch_step::memory_import;
  auto prep = prepare_campaign(sys, target.store(), campaign, std::make_shared<const kforge::task_map>(),
                               curator, opts, failed);
  REQUIRE(prep);
  CHECK(prep->imported == 2);

  actors::context_query q;
  q.campaign = "warm";
  q.task_id = "softmax_b";
  q.family = "softmax";
  q.stage = "refine";
  q.n = 4;
  std::vector<std::string> ids;
  self->request(retriever, caf::infinite, retrieve_atom_v, q)
      .receive(
          [&](actors::context_reply& reply) {
            for (const auto& m : reply.items)
              ids.push_back(m.id);
          },
          [](caf::error& err) { FAIL(describe(err)); });
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"m1", "m2"});
  self->send_exit(curator, caf::exit_reason::user_shutdown);
  self->send_exit(retriever, caf::exit_reason::user_shutdown);
}

TEST_CASE("tasks start by family order, then by id", "[runtime]") {
  kforge::task_map tasks;
  for (auto [id, family] : std::vector<std::pair<std::string, std::string>>{
           {"a_gemm", "gemm"}, {"b_ew", "elementwise"}, {"c_ew", "elementwise"}, {"d_x", "other"}}) {
    kforge::task_def t;
    t.id = id;
    t.family = family;
    tasks.emplace(id, t);
  }
  CHECK(task_start_order(tasks, {}) == std::vector<std::string>{"a_gemm", "b_ew", "c_ew", "d_x"});
  CHECK(task_start_order(tasks, {"elementwise", "gemm"}) ==
        std::vector<std::string>{"b_ew", "c_ew", "a_gemm", "d_x"});
}
