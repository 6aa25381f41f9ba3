// A task and the real LLM proxy (openai backend) on CAF's testing scheduler, with the
// endpoint scripted through the proxy's transport seam: answers come from the mock's pure
// answer function, and while the test says the endpoint is down every attempt fails as a
// refused connection. Time moves only on the fixture clock, so a five-minute outage is
// simulated exactly: the task waits for the model, shows that it waits, is not ended, and
// once the endpoint answers again it carries on; only answered calls are charged.

#include "actors/llm_proxy/http_client.hpp"
#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/task/task_actor.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "memory/store.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/llm_fixtures.hpp"
#include "tests/support/temp_store.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <random>

using namespace kforge;
using namespace kforge::actors;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// The scripted endpoint: answers `up_answers` calls, then is down until `down` is cleared.
struct scripted_endpoint final : http_transport {
  std::shared_ptr<const kforge::task_map> tasks;
  bool down = false;
  int32_t up_answers = -1;  // answers before it goes down by itself; -1 = never
  int64_t posts = 0;
  int64_t answered = 0;
  std::mt19937_64 rng{5};
  int32_t status_when_down = 0;  // 0 = connection refused; else this HTTP status

  void post(http_request_spec spec, std::function<void(http_exchange)> done) override {
    posts += 1;
    if (up_answers == 0) {
      down = true;
      up_answers = -1;
    }
    http_exchange x;
    if (down) {
      if (status_when_down == 0)
        x.error = "connect: Connection refused";
      else
        x.status = status_when_down;
      done(std::move(x));
      return;
    }
    auto a = mock::answer(*tasks, mock::server_config{}, spec.body, mock::fault::none, rng);
    x.status = a.status;
    x.body = std::move(a.body);
    answered += 1;
    if (up_answers > 0)
      up_answers -= 1;
    done(std::move(x));
  }
};

struct outage_log {
  std::vector<task_progress> progress;
};

verifier_actor spawn_passing_verifier(caf::actor_system& sys) {
  return sys.spawn([](verifier_actor::pointer self) -> verifier_actor::behavior_type {
    return {
        [](verify_atom, const verify_request&) -> caf::result<verification> {
          return verification{test::timed_verdict(100), "", false};
        },
        [](reference_atom, const std::string&) -> kforge::timing_stats {
          return test::timed_verdict(1000).timing;
        },
        [](remeasure_atom, const verify_request&, int32_t rounds) -> interleaved_timing {
          return interleaved_timing{1000, 100, rounds, ""};
        },
        [](stats_atom) -> verifier_stats { return verifier_stats{}; },
        [self](drain_atom) { self->quit(); },
        [](load_atom, const std::shared_ptr<const kforge::task_map>&) {},
        [](retry_atom, const std::string&) {},
        [](stop_atom, const std::string&, const std::set<std::string>&) {},
    };
  });
}

task_owner_actor spawn_outage_owner(caf::actor_system& sys, std::shared_ptr<outage_log> log) {
  return sys.spawn([log](task_owner_actor::pointer) -> task_owner_actor::behavior_type {
    return {
        [](grant_atom, const std::string&, int32_t n) { return n; },
        [log](progress_atom, const task_progress& p) { log->progress.push_back(p); },
    };
  });
}

struct outage_fixture : test::actor_fixture {
  test::temp_store db;
  std::shared_ptr<outage_log> log = std::make_shared<outage_log>();
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  std::shared_ptr<scripted_endpoint> endpoint = std::make_shared<scripted_endpoint>();
  task_peers peers;
  task_config cfg;
  std::string task_id;

  outage_fixture() {
    auto loaded =
        hardware::load_task(std::filesystem::path{KFORGE_SOURCE_DIR} / "tests/hardware/data/add_4x250.toml");
    REQUIRE(loaded);
    task_id = loaded->id;
    (*tasks)[task_id] = *loaded;
    endpoint->tasks = tasks;
    peers.owner = spawn_outage_owner(sys, log);
    peers.retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, ranking_config{});
    peers.verifier = spawn_passing_verifier(sys);
    peers.curator = spawn_curator(sys, db.store(), peers.retriever, curator_config{}, false);
    memory::campaign_record rec;
    rec.id = "c1";
    rec.config_text = "x";
    auto rh = self->request(peers.curator, caf::infinite, campaign_atom_v, rec);
    run();
    rh.receive([](memory::campaign_record&, std::vector<memory::task_record>&) {},
               [](caf::error& err) { FAIL(describe(err)); });
    llm_proxy_config pcfg;
    pcfg.policy = "openai";
    pcfg.campaign = "c1";
    pcfg.prompts = test::default_prompts();
    pcfg.store = &db.store();
    pcfg.curator = peers.curator;
    pcfg.transport = endpoint;
    endpoint_config ep;
    ep.name = "mock";
    ep.base_url = "http://127.0.0.1:9/v1";
    ep.model = "mock-coder";
    ep.max_tokens = 512;
    pcfg.llm.endpoints = {ep};
    pcfg.llm.retry.max_attempts = 3;
    pcfg.llm.retry.base_ms = 100;
    pcfg.llm.retry.max_ms = 1000;
    peers.llm = spawn_llm_proxy(sys, tasks, pcfg);
    cfg.campaign = "c1";
    cfg.steps.evaluations = 4;  // of the task's 6 knob settings
    cfg.steps.plateau = 0;
    cfg.candidates_per_step = 1;
    cfg.retry_backoff = milliseconds{200};
    cfg.policy_reasks = 1;
    cfg.outage_max_wait = seconds{60};
    cfg.outage_horizon = std::chrono::hours{6};
  }

  ~outage_fixture() {
    self->send_exit(peers.curator, caf::exit_reason::user_shutdown);
    self->send_exit(peers.retriever, caf::exit_reason::user_shutdown);
    self->send_exit(peers.llm, caf::exit_reason::user_shutdown);
    self->send_exit(peers.verifier, caf::exit_reason::user_shutdown);
    self->send_exit(peers.owner, caf::exit_reason::user_shutdown);
    run();
  }

  task_actor start() {
    memory::task_record rec;
    rec.campaign = "c1";
    rec.task_id = task_id;
    rec.family = "add";
    rec.phase = "draft";
    auto t = spawn_task(sys, tasks, task_id, rec, cfg, peers);
    self->send(t, start_atom_v);
    run();
    return t;
  }

  // Moves the fixture clock by `total` in steps of `step`, running every actor after each.
  void pass(caf::timespan total, caf::timespan step = seconds{1}) {
    for (caf::timespan t{0}; t < total; t += step) {
      advance(step);
      run();
    }
  }

  const task_progress& last() const {
    REQUIRE_FALSE(log->progress.empty());
    return log->progress.back();
  }

  std::vector<memory::llm_call_record> calls() {
    auto tx = db.store().read();
    REQUIRE(tx);
    auto list = memory::list_llm_calls(*tx, "c1");
    REQUIRE(list);
    return *list;
  }

  int64_t spent_tokens() {
    std::string line;
    auto rh = self->request(peers.llm, caf::infinite, usage_atom_v);
    run();
    rh.receive([&](std::string& s) { line = s; }, [](caf::error& err) { FAIL(describe(err)); });
    // "tokens N/inf, cost ..."
    auto at = line.find("tokens ");
    REQUIRE(at != std::string::npos);
    return std::stoll(line.substr(at + 7));
  }
};

}  // namespace

TEST_CASE_METHOD(outage_fixture, "a five-minute outage of the model costs time, not the task",
                 "[actors][llm]") {
  endpoint->up_answers = 2;  // two calls answered, then the endpoint is down
  start();
  REQUIRE_FALSE(log->progress.empty());
  auto before = last().evaluations;
  CHECK(before >= 1);
  CHECK(endpoint->down);

  // Five simulated minutes of refused connections.
  pass(std::chrono::minutes{5});
  CHECK(endpoint->posts > endpoint->answered + 3);  // it kept asking
  CHECK(last().phase != "done");
  CHECK(last().evaluations == before);
  CHECK(last().waiting_since_ms > 0);
  CHECK(last().last_error.find("Connection refused") != std::string::npos);
  CHECK_FALSE(last().unreachable);
  // The asks are spaced out: at most one per proxy retry cycle and task wait (capped at 60 s).
  CHECK(endpoint->posts - endpoint->answered < 60);

  // The endpoint answers again: within the longest wait the task asks, and carries on to its end.
  endpoint->down = false;
  pass(seconds{70});
  CHECK(last().phase == "done");
  CHECK(last().stop_reason == "budget");
  CHECK(last().evaluations == cfg.steps.evaluations);
  CHECK(last().waiting_since_ms == 0);
  CHECK(last().last_error.empty());

  // Only the answered calls are charged: failed calls are on record with no tokens.
  int64_t answered_tokens = 0;
  int64_t failed = 0;
  int64_t ok = 0;
  for (const auto& c : calls()) {
    if (c.outcome == "ok") {
      ok += 1;
      answered_tokens += c.tokens_in + c.tokens_out;
    } else {
      failed += 1;
      CHECK(c.outcome.rfind("error: llm_unreachable", 0) == 0);
      CHECK(c.tokens_in + c.tokens_out == 0);
      CHECK(c.cost == 0);
    }
  }
  CHECK(ok == endpoint->answered);
  CHECK(failed > 0);
  CHECK(answered_tokens > 0);
  CHECK(spent_tokens() == answered_tokens);
}

TEST_CASE_METHOD(outage_fixture, "an overloaded endpoint (503) is waited for like one that is down",
                 "[actors][llm]") {
  endpoint->up_answers = 1;
  endpoint->status_when_down = 503;
  start();
  pass(std::chrono::minutes{2});
  CHECK(last().phase != "done");
  CHECK(last().waiting_since_ms > 0);
  CHECK(last().last_error.find("http 503") != std::string::npos);
  endpoint->down = false;
  pass(seconds{70});
  CHECK(last().phase == "done");
  CHECK(last().stop_reason == "budget");
}

TEST_CASE_METHOD(outage_fixture, "a model unreachable past the horizon stops the task without ending it",
                 "[actors][llm]") {
  cfg.outage_horizon = std::chrono::minutes{10};
  endpoint->up_answers = 1;
  start();
  pass(std::chrono::minutes{9});
  CHECK_FALSE(last().unreachable);
  pass(std::chrono::minutes{2});
  CHECK(last().unreachable);
  CHECK(last().phase != "done");  // a resume asks again
  CHECK(last().stop_reason.empty());
  auto posts = endpoint->posts;
  pass(std::chrono::minutes{5});
  CHECK(endpoint->posts == posts);  // the task has ended its run: nobody asks any more
  auto tx = db.store().read();
  REQUIRE(tx);
  auto rec = memory::get_task(*tx, "c1", task_id);
  // Nothing was committed as "done": the stored record (if any) is not finished.
  if (rec)
    CHECK(rec->phase != "done");
}

TEST_CASE_METHOD(outage_fixture, "a refused request (401) is a failure, not a wait", "[actors][llm]") {
  endpoint->up_answers = 0;
  endpoint->status_when_down = 401;
  start();
  pass(seconds{30});
  CHECK(last().phase == "done");
  CHECK(last().stop_reason == "policy failed");
  CHECK(last().waiting_since_ms == 0);
  // One attempt per call (a 401 is final), the first ask and one re-ask.
  CHECK(endpoint->posts == 2);
}
