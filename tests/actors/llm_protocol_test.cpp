// The LLM proxy against servers that break the protocol: usage that is negative or beyond the
// request, and bodies over [llm] max_response_bytes. Each is a protocol error: the call fails for
// good, its reservation is charged in full (no refund), and nothing of the answer is stored. The
// endpoint is scripted through the transport seam (answers from the mock's pure answer function),
// except for one test over a real socket that has the HTTP client cut a large body off.

#include "actors/curator/curator_actor.hpp"
#include "actors/llm_proxy/http_client.hpp"
#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/retriever/retriever_actor.hpp"
#include "actors/system_config.hpp"
#include "memory/store.hpp"
#include "runtime/base/error.hpp"
#include "tests/support/llm_fixtures.hpp"
#include "tests/support/temp_store.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <random>

using namespace kforge;
using namespace kforge::actors;
using json = nlohmann::json;

namespace {

// Answers with the mock's kernels; `rewrite` may change the body (usage, size) before it goes back.
struct scripted_server final : http_transport {
  std::shared_ptr<const kforge::task_map> tasks = test::add_task_map();
  std::function<void(json&)> rewrite;
  std::string padding;  // appended to the body
  std::atomic<int64_t> posts{0};
  std::mt19937_64 rng{3};

  void post(http_request_spec spec, std::function<void(http_exchange)> done) override {
    posts += 1;
    auto a = mock::answer(*tasks, mock::server_config{}, spec.body, mock::fault::none, rng);
    auto body = json::parse(a.body);
    if (rewrite)
      rewrite(body);
    http_exchange x;
    x.status = a.status;
    x.body = body.dump() + padding;
    done(std::move(x));
  }
};

llm_proxy_config proxy_config(std::shared_ptr<http_transport> transport) {
  llm_proxy_config cfg;
  cfg.policy = "openai";
  cfg.campaign = "c";
  cfg.prompts = test::default_prompts();
  cfg.llm.retry.base_ms = 1;
  cfg.llm.retry.max_ms = 2;
  endpoint_config ep;
  ep.name = "e";
  ep.base_url = "http://127.0.0.1:1/v1";
  ep.model = "m";
  ep.max_tokens = 512;
  ep.timeout_ms = 2000;
  cfg.llm.endpoints = {ep};
  cfg.transport = std::move(transport);
  return cfg;
}

caf::error propose_error(caf::actor_system& sys, const llm_proxy_actor& proxy, uint64_t seed) {
  caf::scoped_actor self{sys};
  caf::error out;
  self->request(proxy, caf::infinite, propose_atom_v, test::draft_request(seed))
      .receive([](policy_reply&) {}, [&](caf::error& e) { out = e; });
  return out;
}

// Eight calls under a budget of three and a half calls' estimates; how many reached the server.
// `usage_of` rewrites a body's usage given the call's estimate (its reservation).
int64_t calls_under_budget(const std::function<void(json&, int64_t)>& usage_of,
                           std::vector<std::string>& errors) {
  auto server = std::make_shared<scripted_server>();
  auto cfg = proxy_config(server);
  auto tasks = test::add_task_map();
  auto estimate = token_estimate(cfg.llm.endpoints[0],
                                 cfg.prompts->build(tasks->at("add_4x250"), test::draft_request(1)), 2);
  server->rewrite = [usage_of, estimate](json& body) { usage_of(body, estimate); };
  cfg.llm.token_budget = estimate * 7 / 2;
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto proxy = spawn_llm_proxy(sys, tasks, cfg);
  for (uint64_t seed = 1; seed <= 8; ++seed)
    if (auto err = propose_error(sys, proxy, seed))
      errors.push_back(describe(err));
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
  return server->posts.load();
}

}  // namespace

TEST_CASE("a server reporting negative usage is charged its reservations and cut off like an honest one",
          "[actors][llm]") {
  std::vector<std::string> honest_errors;
  // The honest server reports as much as the estimate allows: three calls fit, the fourth does not.
  auto full = [](json& body, int64_t estimate) {
    body["usage"]["completion_tokens"] = 2 * 512;
    body["usage"]["prompt_tokens"] = estimate - 2 * 512;
  };
  auto honest = calls_under_budget(full, honest_errors);
  std::vector<std::string> liar_errors;
  auto negative = [](json& body, int64_t) { body["usage"]["completion_tokens"] = -5000; };
  auto liar = calls_under_budget(negative, liar_errors);
  CHECK(honest == 3);
  CHECK(liar == 3);  // a refund would let all 8 through
  REQUIRE(liar_errors.size() == 8);
  for (int i = 0; i < 3; ++i)
    CHECK_THAT(liar_errors[static_cast<std::size_t>(i)],
               Catch::Contains("llm_failed") && Catch::Contains("protocol error: usage reports a negative"));
  for (std::size_t i = 3; i < 8; ++i)
    CHECK_THAT(liar_errors[i], Catch::Contains("LLM budget spent"));
}

TEST_CASE("usage beyond the request's max_tokens is a protocol error, not retried", "[actors][llm]") {
  auto server = std::make_shared<scripted_server>();
  server->rewrite = [](json& body) { body["usage"]["completion_tokens"] = 2 * 512 + 1; };
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), proxy_config(server));
  auto err = propose_error(sys, proxy, 1);
  REQUIRE(err);
  CHECK(code_of(err) == errc::llm_failed);
  CHECK_THAT(describe(err), Catch::Contains("1025 completion tokens, more than the request allows (1024)"));
  CHECK(server->posts == 1);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}

TEST_CASE("a response over max_response_bytes is refused and not stored", "[actors][llm]") {
  auto server = std::make_shared<scripted_server>();
  test::temp_store store{std::size_t{16} << 20U};
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto retriever = spawn_retriever(sys, std::vector<memory::memory_item>{}, {});
  auto curator = spawn_curator(sys, store.store(), retriever, {}, false);
  auto cfg = proxy_config(server);
  cfg.store = &store.store();
  cfg.curator = curator;
  cfg.llm.max_response_bytes = 64 * 1024;
  server->padding = std::string(64 * 1024, ' ');  // still valid JSON, one byte per space too many
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
  auto err = propose_error(sys, proxy, 1);
  REQUIRE(err);
  CHECK(code_of(err) == errc::llm_failed);
  CHECK_THAT(describe(err), Catch::Contains("larger than [llm] max_response_bytes = 65536 bytes"));
  {
    auto tx = store.store().read();
    REQUIRE(tx);
    auto calls = memory::list_llm_calls(*tx, "c");
    REQUIRE(calls);
    REQUIRE(calls->size() == 1);
    CHECK_THAT(calls->front().outcome, Catch::Contains("protocol error"));
    CHECK(calls->front().response.empty());
    CHECK(calls->front().tokens_out > 0);  // the reservation, charged and kept for a resumed campaign
  }
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(curator, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(retriever, caf::exit_reason::user_shutdown);
}

TEST_CASE("the HTTP client stops reading a body over the limit and the proxy refuses it", "[actors][llm]") {
  auto srv = mock::server::start(*test::add_task_map(), mock::server_config{});
  REQUIRE(srv);
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  auto cfg = proxy_config(nullptr);
  cfg.llm.endpoints[0].base_url = "http://127.0.0.1:" + std::to_string((*srv)->port()) + "/v1";
  cfg.llm.max_response_bytes = 256;  // a mock answer with two kernels is larger
  auto proxy = spawn_llm_proxy(sys, test::add_task_map(), cfg);
  auto err = propose_error(sys, proxy, 1);
  REQUIRE(err);
  CHECK(code_of(err) == errc::llm_failed);
  CHECK_THAT(describe(err),
             Catch::Contains("protocol error: response larger than [llm] max_response_bytes = 256"));
  // Cut off by the client at the header (Content-Length over the limit), not read whole first.
  CHECK_THAT(describe(err), !Catch::Contains("bytes ("));
  CHECK((*srv)->stats().requests == 1);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}
