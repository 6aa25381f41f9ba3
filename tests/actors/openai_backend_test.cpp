// The openai backend of the LLM proxy against the in-process mock server
// (tools/mock-llm): faults survived, parse failures, budgets, the response
// cache, and HTTPS with certificate verification. Real sockets on 127.0.0.1;
// synchronisation is by reply messages only.

#include "actors/curator/curator_actor.hpp"
#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/system_config.hpp"
#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "tests/support/llm_fixtures.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/temp_store.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>

#include <fstream>

using namespace kforge;
using namespace kforge::actors;

namespace {

llm_proxy_config proxy_config(uint16_t port, bool tls = false) {
  llm_proxy_config cfg;
  cfg.policy = "openai";
  cfg.campaign = "c";
  cfg.prompts = test::default_prompts();
  cfg.llm.retry.base_ms = 1;
  cfg.llm.retry.max_ms = 20;
  endpoint_config ep;
  ep.name = "mock";
  ep.base_url = std::string{tls ? "https" : "http"} + "://localhost:" + std::to_string(port) + "/v1";
  ep.model = "mock-coder";
  ep.max_tokens = 512;
  ep.timeout_ms = 2000;
  cfg.llm.endpoints = {ep};
  return cfg;
}

struct outcome {
  policy_reply reply;
  caf::error error;
};

outcome propose(caf::actor_system& sys, const llm_proxy_actor& proxy, policy_request req) {
  caf::scoped_actor self{sys};
  outcome out;
  self->request(proxy, caf::infinite, propose_atom_v, std::move(req))
      .receive([&](policy_reply& r) { out.reply = std::move(r); }, [&](caf::error& e) { out.error = e; });
  return out;
}

std::string usage(caf::actor_system& sys, const llm_proxy_actor& proxy) {
  caf::scoped_actor self{sys};
  std::string out;
  self->request(proxy, caf::infinite, usage_atom_v)
      .receive([&](std::string& s) { out = s; }, [](caf::error&) {});
  return out;
}

std::unique_ptr<mock::server> start_mock(mock::server_config cfg) {
  auto srv = mock::server::start(*test::add_task_map(), std::move(cfg));
  REQUIRE(srv);
  return std::move(*srv);
}

}  // namespace

TEST_CASE("every injected fault costs only a retry and the kernels still arrive", "[actors][llm]") {
  mock::server_config mcfg;
  mcfg.faults.script = {mock::fault::too_many, mock::fault::server_error, mock::fault::drop,
                        mock::fault::truncate, mock::fault::malformed,    mock::fault::empty};
  mcfg.faults.retry_after_s = 0.01;
  auto srv = start_mock(mcfg);
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto cfg = proxy_config(srv->port());
  cfg.llm.retry.max_attempts = 7;
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
  auto out = propose(sys, proxy, test::draft_request());
  REQUIRE_FALSE(out.error);
  REQUIRE(out.reply.proposals.size() == 2);
  for (const auto& p : out.reply.proposals) {
    CHECK(p.parse_error.empty());
    CHECK(p.source.find("#define UNROLL") != std::string::npos);
    CHECK(p.source.find("void add_rows(") != std::string::npos);
  }
  CHECK(out.reply.policy == "openai");
  CHECK(out.reply.model == "mock-coder");
  CHECK(srv->stats().requests == 7);
  CHECK(usage(sys, proxy).find("retries 6") != std::string::npos);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("verdicts reported back become the endpoint bandit's reward", "[actors][llm]") {
  auto srv = start_mock({});
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), proxy_config(srv->port()));
  auto out = propose(sys, proxy, test::draft_request(9));
  REQUIRE_FALSE(out.error);
  REQUIRE(out.reply.proposals.size() == 2);
  caf::scoped_actor self{sys};
  self->send(proxy, reward_atom_v, sha256_hex(out.reply.proposals[0].source), true);
  self->send(proxy, reward_atom_v, sha256_hex(out.reply.proposals[1].source), false);
  self->send(proxy, reward_atom_v, sha256_hex("not proposed"), true);  // ignored
  // Same sender, so these arrive before the usage query.
  std::string line;
  self->request(proxy, caf::infinite, usage_atom_v)
      .receive([&](std::string& s) { line = s; }, [](caf::error&) {});
  INFO(line);
  CHECK(line.find("mock: 1 calls, reward 1, cost") != std::string::npos);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("an endpoint never has more than max_concurrent requests in flight", "[actors][llm]") {
  mock::server_config mcfg;
  mcfg.service_ms = 30;
  auto srv = start_mock(mcfg);
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto cfg = proxy_config(srv->port());
  cfg.llm.endpoints[0].max_concurrent = 2;
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
  caf::scoped_actor self{sys};
  for (uint64_t seed = 1; seed <= 6; ++seed)
    self->send(proxy, propose_atom_v, test::draft_request(seed, 1));
  int replies = 0;
  for (int i = 0; i < 6; ++i)
    self->receive([&](policy_reply& r) { replies += r.proposals.size() == 1 ? 1 : 0; },
                  [](caf::error& e) { FAIL(describe(e)); });
  CHECK(replies == 6);
  auto stats = srv->stats();
  CHECK(stats.requests == 6);
  CHECK(stats.max_in_flight == 2);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("a slow answer past the timeout is abandoned and asked again", "[actors][llm]") {
  mock::server_config mcfg;
  mcfg.faults.script = {mock::fault::slow};
  mcfg.faults.slow_ms = 3000;
  auto srv = start_mock(mcfg);
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto cfg = proxy_config(srv->port());
  cfg.llm.endpoints[0].timeout_ms = 150;
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
  auto out = propose(sys, proxy, test::draft_request());
  REQUIRE_FALSE(out.error);
  CHECK(out.reply.proposals.size() == 2);
  CHECK(srv->stats().requests == 2);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("a call fails with llm_unreachable once its attempts at a failing server are spent",
          "[actors][llm]") {
  mock::server_config mcfg;
  mcfg.faults.script = {mock::fault::server_error, mock::fault::server_error};
  auto srv = start_mock(mcfg);
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto cfg = proxy_config(srv->port());
  cfg.llm.retry.max_attempts = 2;
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
  auto out = propose(sys, proxy, test::draft_request());
  REQUIRE(out.error);
  CHECK(code_of(out.error) == errc::llm_unreachable);  // the task waits for the model
  CHECK(describe(out.error).find("2 attempts, last: http 500") != std::string::npos);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("a reply without a kernel becomes proposals with a parse error", "[actors][llm]") {
  mock::server_config mcfg;
  mcfg.faults.script = {mock::fault::no_kernel};
  auto srv = start_mock(mcfg);
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), proxy_config(srv->port()));
  auto out = propose(sys, proxy, test::draft_request());
  REQUIRE_FALSE(out.error);
  REQUIRE(out.reply.proposals.size() == 2);
  for (const auto& p : out.reply.proposals) {
    CHECK(p.parse_error.find("no code block") != std::string::npos);
    CHECK(p.source.find("I'm sorry") != std::string::npos);
  }
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("calls are recorded, replayed from the cache, and count against the budget", "[actors][llm]") {
  auto srv = start_mock({});
  test::temp_store store{std::size_t{16} << 20U};
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, {});
  auto curator = spawn_curator(sys, store.store(), retriever, {}, false);
  auto cfg = proxy_config(srv->port());
  cfg.store = &store.store();
  cfg.curator = curator;
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
  auto first = propose(sys, proxy, test::draft_request(5));
  REQUIRE_FALSE(first.error);
  auto again = propose(sys, proxy, test::draft_request(5));
  REQUIRE_FALSE(again.error);
  CHECK(srv->stats().requests == 1);
  CHECK(again.reply.model == "mock-coder (cached)");
  REQUIRE(again.reply.proposals.size() == first.reply.proposals.size());
  CHECK(again.reply.proposals[0].source == first.reply.proposals[0].source);
  int64_t spent = 0;
  {
    auto tx = store.store().read();
    REQUIRE(tx);
    auto calls = memory::list_llm_calls(*tx, "c");
    REQUIRE(calls);
    REQUIRE(calls->size() == 1);
    const auto& rec = calls->front();
    CHECK(rec.outcome == "ok");
    CHECK(rec.endpoint == "mock");
    CHECK(rec.attempts == 1);
    CHECK(rec.kernels == 2);
    CHECK(rec.usable == 2);
    CHECK(rec.tokens_in > 0);
    CHECK(rec.tokens_out > 0);
    CHECK(rec.choice == "untried mock");
    spent = rec.tokens_in + rec.tokens_out;
  }
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);

  SECTION("a resumed proxy counts the recorded spend and stops when the budget is spent") {
    auto cfg2 = cfg;
    // Room for what was spent but not for another call's estimate (2 x 512 completion tokens).
    cfg2.llm.token_budget = spent + 600;
    auto proxy2 = spawn_llm_proxy(sys, test::add_task_map(), cfg2);
    auto out = propose(sys, proxy2, test::draft_request(6));
    REQUIRE(out.error);
    CHECK(code_of(out.error) == errc::budget_exhausted);
    CHECK(describe(out.error).find("LLM budget spent") != std::string::npos);
    CHECK(srv->stats().requests == 1);
    CHECK(usage(sys, proxy2).find("LLM budget spent") != std::string::npos);
    caf::anon_send_exit(proxy2, caf::exit_reason::user_shutdown);
  }
  caf::anon_send_exit(curator, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(retriever, caf::exit_reason::user_shutdown);
}

TEST_CASE("HTTPS verifies the server: trusted through ca_file, refused otherwise", "[actors][llm]") {
  auto cert = mock::make_self_signed("localhost");
  REQUIRE(cert);
  mock::server_config mcfg;
  mcfg.cert_pem = cert->cert_pem;
  mcfg.key_pem = cert->key_pem;
  auto srv = start_mock(mcfg);
  test::temp_dir dir{"tls"};
  auto ca = dir.path() / "ca.pem";
  std::ofstream{ca} << cert->cert_pem;
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  SECTION("trusted") {
    auto cfg = proxy_config(srv->port(), true);
    cfg.llm.endpoints[0].ca_file = ca.string();
    auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
    auto out = propose(sys, proxy, test::draft_request());
    REQUIRE_FALSE(out.error);
    CHECK(out.reply.proposals.size() == 2);
    caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
  }
  SECTION("not trusted: the handshake fails verification") {
    auto cfg = proxy_config(srv->port(), true);
    cfg.llm.retry.max_attempts = 1;
    auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
    auto out = propose(sys, proxy, test::draft_request());
    REQUIRE(out.error);
    CHECK(code_of(out.error) == errc::llm_failed);
    CHECK(describe(out.error).find("tls handshake") != std::string::npos);
    CHECK(describe(out.error).find("certificate verify failed") != std::string::npos);
    caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
  }
  SECTION("trusted certificate, wrong host name (127.0.0.1 is not in its names)") {
    auto cfg = proxy_config(srv->port(), true);
    cfg.llm.retry.max_attempts = 1;
    cfg.llm.endpoints[0].ca_file = ca.string();
    cfg.llm.endpoints[0].base_url = "https://127.0.0.1:" + std::to_string(srv->port()) + "/v1";
    auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
    auto out = propose(sys, proxy, test::draft_request());
    REQUIRE(out.error);
    CHECK(describe(out.error).find("tls handshake") != std::string::npos);
    caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
  }
}
