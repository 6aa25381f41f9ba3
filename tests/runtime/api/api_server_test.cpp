// The Beast server over real sockets: limits, malformed requests, tokens,
// keep-alive and 200 concurrent clients, in front of the real router.

#include "runtime/api/api_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

using namespace kforge;

namespace {

class no_daemon : public runtime::api_hooks {
 public:
  std::vector<runtime::live_campaign> live_campaigns() const override { return {}; }
  std::vector<actors::verifier_stats> devices() const override { return {}; }
  caf::expected<std::string> control(const std::string& c, const std::string&) override {
    return make_error(errc::not_found, "no campaign " + c);
  }
  std::string daemon_info() const override { return "{}"; }
};

struct server_fixture {
  test::temp_store ts;
  no_daemon hooks;
  runtime::api_settings settings;
  std::unique_ptr<runtime::api_server> server;

  /// `before` runs in the handler ahead of the router, on whichever server thread answers.
  explicit server_fixture(const std::string& token = "",
                          std::function<void(const runtime::api_request&)> before = {}) {
    settings.token = token;
    settings.snapshot_dir = ts.scratch_path("snapshots");
    runtime::api_server_options opts;
    opts.port = 0;
    opts.max_body_bytes = 4096;
    opts.timeout = std::chrono::seconds{5};
    auto started = runtime::api_server::start(opts, [this, before](const runtime::api_request& req) {
      if (before)
        before(req);
      return runtime::handle_request(req, ts.store(), hooks, settings);
    });
    REQUIRE(started);
    server = std::move(*started);
  }

  uint16_t port() const { return server->port(); }
};

}  // namespace

TEST_CASE("the server answers JSON errors for unknown routes and bad JSON", "[runtime]") {
  server_fixture f;
  auto r = test::http_call(f.port(), "GET", "/api/no/such/route");
  CHECK(r.status == 404);
  CHECK(r.headers["content-type"] == "application/json");
  CHECK(r.body.find("\"status\":404") != std::string::npos);
  r = test::http_call(f.port(), "POST", "/api/snapshot", "{\"name\": ");
  CHECK(r.status == 400);
  CHECK(r.body.find("JSON") != std::string::npos);
  r = test::http_call(f.port(), "GET", "/api/campaigns");
  CHECK(r.status == 200);
  CHECK(r.body == "{\"campaigns\":[]}");
}

TEST_CASE("the server refuses oversized bodies and malformed requests", "[runtime]") {
  server_fixture f;
  std::string big(64 * 1024, 'x');
  auto r = test::http_call(f.port(), "POST", "/api/snapshot", big);
  CHECK(r.status == 413);
  CHECK(r.body.find("larger than 4096") != std::string::npos);
  r = test::http_raw(f.port(), "GARBAGE\r\n\r\n");
  CHECK(r.status == 400);
  r = test::http_raw(f.port(),
                     "GET /api/campaigns HTTP/1.1\r\nHost: x\r\n" + std::string(32 * 1024, 'h') + "\r\n\r\n");
  CHECK(r.status == 431);
  r = test::http_call(f.port(), "GET", "/%2e%2e/%2e%2e/etc/passwd");
  CHECK((r.status == 400 || r.status == 404));
  CHECK(r.body.find("root:") == std::string::npos);
  // The server still serves after all of that.
  CHECK(test::http_call(f.port(), "GET", "/api/campaigns").status == 200);
}

TEST_CASE("the server checks the bearer token", "[runtime]") {
  server_fixture f{"tok-123"};
  CHECK(test::http_call(f.port(), "GET", "/api/campaigns").status == 401);
  CHECK(test::http_call(f.port(), "GET", "/api/campaigns", "", "tok-12").status == 401);
  CHECK(test::http_call(f.port(), "GET", "/metrics", "", "nope").status == 401);
  CHECK(test::http_call(f.port(), "GET", "/api/campaigns", "", "tok-123").status == 200);
  CHECK(test::http_call(f.port(), "GET", "/metrics", "", "tok-123").status == 200);
}

TEST_CASE("the server keeps a connection alive across requests", "[runtime]") {
  server_fixture f;
  std::string two =
      "GET /api/campaigns HTTP/1.1\r\nHost: x\r\n\r\nGET /api/nothing HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n";
  // Two pipelined requests: the first answer must keep the connection open for the second.
  auto r = test::http_raw(f.port(), two);
  CHECK(r.status == 200);
  CHECK(r.headers["connection"] != "close");
}

TEST_CASE("the server answers 200 concurrent clients", "[runtime]") {
  server_fixture f;
  constexpr int clients = 200;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      auto target = i % 2 == 0 ? "/api/campaigns" : "/metrics";
      auto r = test::http_call(f.port(), "GET", target);
      if (r.status == 200)
        ok.fetch_add(1);
    });
  for (auto& t : threads)
    t.join();
  CHECK(ok.load() == clients);
}

TEST_CASE("the server answers while a snapshot runs, and takes one snapshot at a time", "[runtime]") {
  // The first snapshot is held inside the handler until the test lets it go, so "in progress"
  // is a latch, not a matter of timing.
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> snapshots{0};
  server_fixture f{"", [&](const runtime::api_request& req) {
                     if (runtime::slow_request_kind(req) == "snapshot" && snapshots.fetch_add(1) == 0) {
                       entered.set_value();
                       released.wait();
                     }
                   }};
  test::http_reply first;
  std::thread client{
      [&] { first = test::http_call(f.port(), "POST", "/api/snapshot", "{\"name\": \"held\"}"); }};
  entered.get_future().wait();
  // Answered on the io thread while the snapshot holds the worker (the client gives up after 10 s).
  auto listed = test::http_call(f.port(), "GET", "/api/campaigns");
  CHECK(listed.status == 200);
  CHECK(listed.body == "{\"campaigns\":[]}");
  auto busy = test::http_call(f.port(), "POST", "/api/snapshot", "{\"name\": \"second\"}");
  CHECK(busy.status == 409);
  CHECK(busy.body.find("a snapshot is in progress") != std::string::npos);
  release.set_value();
  client.join();
  CHECK(first.status == 201);
  CHECK(first.body.find("-held") != std::string::npos);
  // The slot is free again once the first has answered.
  auto again = test::http_call(f.port(), "POST", "/api/snapshot", "{\"name\": \"after\"}");
  CHECK(again.status == 201);
}
