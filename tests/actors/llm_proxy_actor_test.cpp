// The LLM proxy's openai backend on CAF's testing scheduler: rate limits wait on the actor
// clock, so a call held back by its endpoint's request bucket stays queued until the
// fixture clock moves, and a stray completion for it is ignored.

#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/llm_fixtures.hpp"
#include "tests/support/task_files.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace kforge;
using namespace kforge::actors;

namespace {}  // namespace

TEST_CASE_METHOD(test::actor_fixture, "a stray completion for a call that waits in the queue is ignored",
                 "[actors][llm]") {
  auto task = test::add_task();
  auto tasks = std::make_shared<kforge::task_map>();
  tasks->emplace(task.id, task);
  auto srv = mock::server::start(*tasks, mock::server_config{});
  REQUIRE(srv);
  llm_proxy_config pcfg;
  pcfg.policy = "openai";
  pcfg.campaign = "c";
  pcfg.prompts = test::default_prompts();
  endpoint_config ep;
  ep.name = "mock";
  ep.base_url = "http://localhost:" + std::to_string((*srv)->port()) + "/v1";
  ep.model = "mock-coder";
  ep.max_tokens = 512;
  ep.requests_per_minute = 1;  // the second call waits a minute of the actor clock
  pcfg.llm.endpoints = {ep};
  auto proxy = spawn_llm_proxy(sys, tasks, pcfg);
  // Call 1 takes the only request token; call 2 waits in the queue (never attempted).
  self->send(proxy, propose_atom_v, test::draft_request(1, 1));
  self->send(proxy, propose_atom_v, test::draft_request(2, 1));
  run();
  // Before the fix this indexed the endpoints with the unset endpoint of call 2 (-1).
  self->send(proxy, http_done_atom_v, uint64_t{2}, http_exchange{});
  run();
  std::string line;
  auto rh = self->request(proxy, caf::infinite, usage_atom_v);
  run();
  rh.receive([&](std::string& s) { line = s; }, [](caf::error& err) { FAIL(describe(err)); });
  CHECK(line.find("mock:") != std::string::npos);
  self->send_exit(proxy, caf::exit_reason::user_shutdown);
  run();
}
