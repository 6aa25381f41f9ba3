#include "runtime/campaign/campaign_supervisor.hpp"

#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_verifier.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/temp_store.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace kforge;
using namespace kforge::actors;

namespace {

// VEC=8 is "wrong" for this task; otherwise wider vectors and unrolling are faster.
kforge::verdict judge(const std::string& source) {
  auto value = [&](const std::string& knob) {
    auto at = source.find("#define " + knob + " ");
    return at == std::string::npos ? 1 : std::stoi(source.substr(at + knob.size() + 9));
  };
  if (value("VEC") == 8)
    return test::failed("correctness");
  return test::timed_verdict(1000.0 / (value("VEC") * value("UNROLL")));
}

struct campaign_fixture : test::actor_fixture {
  test::temp_store db{std::size_t{8} << 20U};
  std::shared_ptr<test::fake_verifier_log> vlog = std::make_shared<test::fake_verifier_log>();
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  retriever_actor retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
  curator_actor curator = spawn_curator(sys, db.store(), retriever, curator_config{}, false);
  llm_proxy_actor llm;
  verifier_actor verifier = test::spawn_fake_verifier(sys, judge, 2000, vlog);

  campaign_fixture() {
    (*tasks)["a"] = test::knob_task("a", "fam");
    (*tasks)["b"] = test::knob_task("b", "fam");
    llm = spawn_llm_proxy(sys, tasks, llm_proxy_config{});
  }

  ~campaign_fixture() {
    for (const auto& h :
         std::vector<caf::actor>{caf::actor_cast<caf::actor>(retriever), caf::actor_cast<caf::actor>(curator),
                                 caf::actor_cast<caf::actor>(llm), caf::actor_cast<caf::actor>(verifier)})
      self->send_exit(h, caf::exit_reason::user_shutdown);
    run();
  }

  runtime::campaign_config config(int64_t per_task, int64_t overall = 0) {
    runtime::campaign_config c;
    c.name = "camp";
    c.text = "test";
    c.seed = 3;
    c.evaluations_per_task = per_task;
    c.evaluations = overall;
    c.plateau = 0;
    c.store_path = db.store_path();
    return c;
  }

  // Runs a campaign to its end; returns the final snapshot.
  campaign_progress run_campaign(runtime::campaign_config camp) {
    runtime::supervisor_setup setup{std::move(camp),
                                    tasks,
                                    retriever,
                                    llm,
                                    verifier,
                                    curator,
                                    caf::actor_cast<runtime::progress_listener>(caf::actor{self}),
                                    std::chrono::milliseconds{500},
                                    actors::roofline_config{},
                                    nullptr,
                                    nullptr};
    auto sup = runtime::spawn_supervisor(sys, std::move(setup));
    // Every hop but the progress tick is a message, so one run() plays the whole campaign.
    run();
    campaign_progress final_progress;
    bool done = false;
    while (!done) {
      self->receive([&](progress_atom, campaign_progress&) {},
                    [&](done_atom, campaign_progress& p) {
                      final_progress = std::move(p);
                      done = true;
                    },
                    caf::after(std::chrono::seconds(0)) >> [&] { FAIL("the campaign did not end"); });
    }
    return final_progress;
  }

  std::vector<memory::candidate_record> candidates(const std::string& task) {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto list = memory::list_candidates(*tx, "camp", task);
    REQUIRE(list);
    return *list;
  }
};

}  // namespace

TEST_CASE_METHOD(campaign_fixture, "a campaign drafts, refines and ends every task on its budget",
                 "[runtime]") {
  auto p = run_campaign(config(6));
  CHECK(p.status == "finished");
  REQUIRE(p.tasks.size() == 2);
  for (const auto& t : p.tasks) {
    CHECK(t.phase == "done");
    CHECK(t.evaluations == 6);
    CHECK(t.best_latency_ns > 0);
    CHECK(t.reference_latency_ns == 2000);
    auto list = candidates(t.task_id);
    REQUIRE(list.size() == 6);
    std::set<std::string> sources;
    bool refined = false;
    for (const auto& c : list) {
      sources.insert(c.source);
      refined = refined || c.stage == "refine";
      if (c.source.find("#define VEC 8") != std::string::npos)
        CHECK(c.verdict.failed_gate == "correctness");
    }
    CHECK(sources.size() == 6);  // nothing verified twice
    CHECK(refined);
  }
  CHECK(vlog->requests.size() == 12);
  CHECK(vlog->references == 2);
  SECTION("running the finished campaign again verifies nothing") {
    auto again = run_campaign(config(6));
    CHECK(again.status == "finished");
    CHECK(again.note == "the campaign had already finished");
    CHECK(vlog->requests.size() == 12);
  }
}

TEST_CASE_METHOD(campaign_fixture, "the overall evaluation budget caps the campaign", "[runtime]") {
  auto p = run_campaign(config(6, 5));
  CHECK(p.evaluations == 5);
  CHECK(vlog->requests.size() == 5);
  CHECK(candidates("a").size() + candidates("b").size() == 5);
}

namespace {

// Starts a campaign paused; the caller drives it with pause / resume / stop.
runtime::supervisor_actor start_paused(campaign_fixture& f, runtime::campaign_config camp) {
  runtime::supervisor_setup setup{std::move(camp),
                                  f.tasks,
                                  f.retriever,
                                  f.llm,
                                  f.verifier,
                                  f.curator,
                                  caf::actor_cast<runtime::progress_listener>(caf::actor{f.self}),
                                  std::chrono::milliseconds{500},
                                  actors::roofline_config{},
                                  nullptr,
                                  nullptr};
  auto sup = runtime::spawn_supervisor(f.sys, std::move(setup));
  f.self->send(sup, pause_atom_v);
  f.run();
  return sup;
}

campaign_progress await_done(campaign_fixture& f) {
  campaign_progress out;
  bool done = false;
  while (!done) {
    f.self->receive([&](progress_atom, campaign_progress&) {},
                    [&](done_atom, campaign_progress& p) {
                      out = std::move(p);
                      done = true;
                    },
                    caf::after(std::chrono::seconds(0)) >> [&] { FAIL("the campaign did not end"); });
  }
  return out;
}

}  // namespace

TEST_CASE_METHOD(campaign_fixture, "a paused campaign grants nothing until it is resumed", "[runtime]") {
  auto sup = start_paused(*this, config(6));
  CHECK(vlog->requests.empty());  // every task asked for a grant and waits
  self->send(sup, progress_atom_v);
  run();
  self->receive([](campaign_progress& p) { CHECK(p.status == "paused"); },
                caf::after(std::chrono::seconds(0)) >> [] { FAIL("no progress reply"); });
  self->send(sup, resume_atom_v);
  run();
  auto p = await_done(*this);
  CHECK(p.status == "finished");
  CHECK(p.evaluations == 12);
  CHECK(vlog->requests.size() == 12);
}

TEST_CASE_METHOD(campaign_fixture, "stopping a paused campaign ends it stopped with nothing granted",
                 "[runtime]") {
  auto sup = start_paused(*this, config(6));
  self->send(sup, stop_atom_v);
  run();
  auto p = await_done(*this);
  CHECK(p.status == "stopped");
  CHECK(p.evaluations == 0);
  CHECK(vlog->requests.empty());
  for (const auto& t : p.tasks)
    CHECK(t.phase != "done");
}

namespace {

// Reads what the supervisor sent so far; true if the campaign has ended, its final snapshot in `out`.
bool has_ended(campaign_fixture& f, campaign_progress& out) {
  bool done = false;
  bool more = true;
  while (more)
    f.self->receive([](progress_atom, campaign_progress&) {},
                    [&](done_atom, campaign_progress& p) {
                      out = std::move(p);
                      done = true;
                    },
                    caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
  return done;
}

campaign_progress progress_of(campaign_fixture& f, const runtime::supervisor_actor& sup) {
  campaign_progress out;
  f.self->send(sup, progress_atom_v);
  f.run();
  f.self->receive([&](campaign_progress& p) { out = std::move(p); },
                  caf::after(std::chrono::seconds(0)) >> [] { FAIL("no progress reply"); });
  return out;
}

// Starts `camp` again, paused, and checks that its wall-time budget ends it after `left_ms` of
// this run and not a millisecond before; returns its last snapshot.
campaign_progress run_out_wall(campaign_fixture& f, const runtime::campaign_config& camp, int64_t left_ms) {
  auto sup = start_paused(f, camp);
  campaign_progress end;
  f.advance(std::chrono::milliseconds{left_ms - 1});
  f.run();
  REQUIRE_FALSE(has_ended(f, end));
  CHECK(progress_of(f, sup).status == "paused");
  f.advance(std::chrono::milliseconds{1});
  f.run();
  REQUIRE(has_ended(f, end));
  CHECK(end.note == "wall-time budget spent");
  return end;
}

}  // namespace

TEST_CASE_METHOD(campaign_fixture, "the wall-time budget stops a campaign at its deadline, not before",
                 "[runtime]") {
  auto camp = config(6);
  camp.wall_minutes = 1;
  // Paused, the campaign does no work, so only the clock can end it.
  auto sup = start_paused(*this, camp);
  advance(std::chrono::milliseconds{59999});
  run();
  campaign_progress end;
  REQUIRE_FALSE(has_ended(*this, end));
  auto before = progress_of(*this, sup);
  CHECK(before.status == "paused");
  CHECK(before.note.empty());
  CHECK(before.elapsed_ms == Approx(59999));
  advance(std::chrono::milliseconds{1});
  run();
  REQUIRE(has_ended(*this, end));
  CHECK(end.note == "wall-time budget spent");
  CHECK(end.status == "finished");
  CHECK(end.elapsed_ms == Approx(60000));
  CHECK(end.evaluations == 0);
  CHECK(vlog->requests.empty());
}

TEST_CASE_METHOD(campaign_fixture, "a resumed campaign counts the wall time its earlier runs spent",
                 "[runtime]") {
  auto camp = config(6);
  camp.wall_minutes = 1;
  auto first = start_paused(*this, camp);
  advance(std::chrono::seconds{20});
  run();
  self->send(first, stop_atom_v);
  run();
  campaign_progress end;
  REQUIRE(has_ended(*this, end));
  CHECK(end.status == "stopped");  // 20 s of the 60 are spent and stored
  CHECK(run_out_wall(*this, camp, 40000).status == "finished");
}

TEST_CASE_METHOD(campaign_fixture,
                 "a running campaign records its wall time as it passes, so a killed run counts",
                 "[runtime]") {
  auto camp = config(6);
  camp.wall_minutes = 1;
  auto first = start_paused(*this, camp);
  auto stored_wall = [&] {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto rec = memory::get_campaign(*tx, "camp");
    REQUIRE(rec);
    return rec->wall_ms;
  };
  advance(std::chrono::seconds{5});
  run();
  CHECK(stored_wall() == Approx(0));  // less than a checkpoint so far
  advance(std::chrono::seconds{20});
  run();
  auto written = stored_wall();
  CHECK(written >= 20000);
  CHECK(written <= 25000);
  // Killed: no end is recorded, yet what was written counts for the next run's budget.
  self->send_exit(first, caf::exit_reason::kill);
  run();
  campaign_progress end;
  CHECK_FALSE(has_ended(*this, end));
  run_out_wall(*this, camp, static_cast<int64_t>(60000 - written));
  CHECK(stored_wall() == Approx(60000));
}

namespace {

// A policy that is unreachable while `down` is set, else the offline knob search.
llm_proxy_actor spawn_flaky_llm(caf::actor_system& sys, llm_proxy_actor inner, std::shared_ptr<bool> down) {
  return sys.spawn([inner, down](llm_proxy_actor::pointer self) -> llm_proxy_actor::behavior_type {
    return {
        [self, inner, down](propose_atom, policy_request& req) -> caf::result<policy_reply> {
          if (*down)
            return make_error(errc::llm_unreachable, "task " + req.task_id + ": transport: refused");
          return self->delegate(inner, propose_atom_v, std::move(req));
        },
        [](http_done_atom, uint64_t, http_exchange&) {},
        [](retry_atom, uint64_t) {},
        [](dispatch_atom) {},
        [](reward_atom, const std::string&, bool) {},
        [](usage_atom) { return std::string{"flaky"}; },
    };
  });
}

// Starts a campaign and moves the clock a second at a time until it ends (at most `limit`).
campaign_progress run_on_clock(campaign_fixture& f, runtime::campaign_config camp, caf::timespan limit) {
  runtime::supervisor_setup setup{std::move(camp),
                                  f.tasks,
                                  f.retriever,
                                  f.llm,
                                  f.verifier,
                                  f.curator,
                                  caf::actor_cast<runtime::progress_listener>(caf::actor{f.self}),
                                  std::chrono::milliseconds{500},
                                  actors::roofline_config{},
                                  nullptr,
                                  nullptr};
  auto sup = runtime::spawn_supervisor(f.sys, std::move(setup));
  f.run();
  campaign_progress end;
  for (caf::timespan t{0}; t < limit; t += std::chrono::seconds{1}) {
    if (has_ended(f, end))
      return end;
    f.advance(std::chrono::seconds{1});
    f.run();
  }
  REQUIRE(has_ended(f, end));
  return end;
}

}  // namespace

TEST_CASE_METHOD(campaign_fixture,
                 "a model unreachable past the horizon stops the campaign, and resume goes on", "[runtime]") {
  auto down = std::make_shared<bool>(true);
  auto offline = llm;
  llm = spawn_flaky_llm(sys, offline, down);
  auto camp = config(6);
  camp.llm.outage_max_wait_s = 60;
  camp.llm.outage_horizon_s = 600;
  auto first = run_on_clock(*this, camp, std::chrono::minutes{15});
  CHECK(first.status == "stopped");
  CHECK(first.note.rfind("the model was unreachable since ", 0) == 0);
  CHECK(first.note.find("transport: refused") != std::string::npos);
  CHECK(first.unreachable_since_ms > 0);
  CHECK(first.evaluations == 0);
  for (const auto& t : first.tasks)
    CHECK(t.phase != "done");
  // The model is back: resuming the stopped campaign finishes it.
  *down = false;
  auto second = run_on_clock(*this, camp, std::chrono::minutes{5});
  CHECK(second.status == "finished");
  CHECK(second.unreachable_since_ms == 0);
  CHECK(second.evaluations == 12);
  for (const auto& t : second.tasks) {
    CHECK(t.phase == "done");
    CHECK(t.stop_reason == "budget");
  }
  self->send_exit(offline, caf::exit_reason::user_shutdown);
}
