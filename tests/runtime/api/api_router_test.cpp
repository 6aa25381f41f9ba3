// The API router as a pure function: requests in, responses out, over a
// temporary store and fake daemon hooks. No sockets (api_server_test has those).

#include "runtime/api/api_router.hpp"
#include "runtime/api/api_views.hpp"
#include "runtime/api/metrics.hpp"
#include "runtime/campaign/workers_setup.hpp"
#include "runtime/daemon/daemon.hpp"
#include "runtime/daemon/daemon_config.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/temp_store.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace kforge;
using json = nlohmann::json;

namespace {

class fake_hooks : public runtime::api_hooks {
 public:
  std::vector<runtime::live_campaign> live;
  std::vector<actors::verifier_stats> devs;
  std::vector<std::pair<std::string, std::string>> controls;

  std::vector<runtime::live_campaign> live_campaigns() const override { return live; }
  std::vector<actors::verifier_stats> devices() const override { return devs; }
  caf::expected<std::string> control(const std::string& campaign, const std::string& action) override {
    for (auto& c : live) {
      if (c.name != campaign)
        continue;
      auto next = runtime::next_state(c.state, action);
      if (next.empty())
        return make_error(errc::bad_request, "cannot " + action);
      controls.emplace_back(campaign, action);
      return next;
    }
    return make_error(errc::not_found, "no campaign " + campaign);
  }
  std::string daemon_info() const override { return R"({"store":"x"})"; }
};

memory::candidate_record cand(const std::string& hash, const std::string& task, int64_t seq, double latency,
                              const std::string& failed, const std::string& parent = "") {
  memory::candidate_record c;
  c.hash = hash;
  c.campaign = "c1";
  c.task_id = task;
  c.seq = seq;
  c.source = "// kernel " + hash;
  c.stage = parent.empty() ? "draft" : "refine";
  if (!parent.empty())
    c.parents = {parent};
  c.optimization = parent.empty() ? "" : "VEC 4->8";
  c.verdict.failed_gate = failed;
  c.verdict.feasible = failed.empty() || failed == "latency";
  c.verdict.gates = {{"hack", true, ""}, {"compile", failed != "compile", ""}};
  c.verdict.timing.median_ns = latency;
  c.verdict.timing.count = latency > 0 ? 10 : 0;
  c.speedup_vs_ref = latency > 0 ? 1000.0 / latency : 0;
  c.speedup_vs_parent = parent.empty() ? 0 : 2.0;
  c.created_ms = 1000 + seq * 10 + (task == "t2" ? 5 : 0);
  return c;
}

void fill(memory::store& store) {
  auto tx = store.write();
  REQUIRE(tx);
  memory::campaign_record c;
  c.id = "c1";
  c.config_path = "/nowhere/c1.toml";
  c.config_text = "[campaign]\nname = \"c1\"\ntasks = [\"*.toml\"]\n[budget]\nevaluations_per_task = 5\n";
  c.status = "stopped";
  REQUIRE_FALSE(memory::put_campaign(*tx, c));
  memory::task_record t1;
  t1.campaign = "c1";
  t1.task_id = "t1";
  t1.phase = "refine";
  t1.best_hash = "h2";
  t1.reference_latency_ns = 1000;
  t1.best_latency_ns = 250;
  t1.evaluations = 3;
  t1.feasible = 2;
  REQUIRE_FALSE(memory::put_task(*tx, t1));
  memory::task_record t2 = t1;
  t2.task_id = "t2";
  t2.best_hash.clear();
  t2.best_latency_ns = 0;
  t2.evaluations = 1;
  t2.feasible = 0;
  REQUIRE_FALSE(memory::put_task(*tx, t2));
  REQUIRE_FALSE(memory::put_candidate(*tx, cand("h1", "t1", 0, 500, "")));
  REQUIRE_FALSE(memory::put_candidate(*tx, cand("h2", "t1", 1, 250, "", "h1")));
  REQUIRE_FALSE(memory::put_candidate(*tx, cand("h3", "t1", 2, 0, "compile", "h2")));
  REQUIRE_FALSE(memory::put_candidate(*tx, cand("h4", "t2", 0, 0, "correctness")));
  memory::memory_item m;
  m.id = "m1";
  m.kind = "optimization";
  m.text = "vectorise by 8";
  m.q1 = 0.5;
  m.q2 = -0.25;
  REQUIRE_FALSE(memory::put_memory(*tx, m));
  memory::llm_call_record call;
  call.request_hash = "r1";
  call.campaign = "c1";
  call.model = "m";
  call.tokens_in = 100;
  call.tokens_out = 20;
  call.cost = 0.5;
  call.outcome = "ok";
  REQUIRE_FALSE(memory::put_llm_call(*tx, call));
  REQUIRE_FALSE(tx->commit());
}

struct router_fixture {
  test::temp_store ts{std::size_t{4} << 20U};
  test::temp_dir web{"web"};
  fake_hooks hooks;
  runtime::api_settings settings;

  router_fixture() {
    fill(ts.store());
    settings.static_dir = web.path() / "static";
    settings.snapshot_dir = web.path() / "snapshots";
    std::filesystem::create_directories(settings.static_dir / "js");
    std::ofstream{settings.static_dir / "index.html"} << "<html>dashboard</html>";
    std::ofstream{settings.static_dir / "js" / "app.js"} << "console.log(1)";
    std::ofstream{web.path() / "secret.txt"} << "TOP-SECRET-CONTENT";
    runtime::live_campaign l;
    l.name = "c1";
    l.state = "running";
    hooks.live.push_back(l);
  }

  runtime::api_response call(const std::string& method, const std::string& target,
                             const std::string& body = "", const std::string& auth = "") {
    runtime::api_request req{method, target, auth, body};
    return runtime::handle_request(req, ts.store(), hooks, settings);
  }

  json call_json(const std::string& method, const std::string& target, int status,
                 const std::string& body = "") {
    auto r = call(method, target, body);
    INFO(method << ' ' << target << " -> " << r.body);
    REQUIRE(r.status == status);
    REQUIRE(r.content_type == "application/json");
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
  }
};

}  // namespace

TEST_CASE_METHOD(router_fixture, "the API lists campaigns with their live state and counts", "[runtime]") {
  auto j = call_json("GET", "/api/campaigns", 200);
  REQUIRE(j["campaigns"].size() == 1);
  const auto& c = j["campaigns"][0];
  CHECK(c["name"] == "c1");
  CHECK(c["state"] == "running");  // live state over the stored "stopped"
  CHECK(c["stored_status"] == "stopped");
  CHECK(c["evaluations"] == 4);
  CHECK(c["feasible"] == 2);
  CHECK(c["tasks"] == 2);
  CHECK(c["best_speedup"]["t1"].get<double>() == Approx(4.0));
}

TEST_CASE_METHOD(router_fixture, "a campaign shows verdicts by gate and the fast_p curve", "[runtime]") {
  auto j = call_json("GET", "/api/campaigns/c1", 200);
  CHECK(j["verdicts"]["passed"] == 2);
  CHECK(j["verdicts"]["compile"] == 1);
  CHECK(j["verdicts"]["correctness"] == 1);
  CHECK(j["verdicts"]["hack"] == 0);
  REQUIRE(j["fast_p"].size() == 17);
  CHECK(j["fast_p"][0]["p"] == 0.0);
  CHECK(j["fast_p"][0]["share"] == 0.5);   // t1 is correct and faster, t2 has no best
  CHECK(j["fast_p"][15]["share"] == 0.5);  // p = 3.75 < 4
  CHECK(j["fast_p"][16]["share"] == 0.0);  // p = 4: not strictly faster
  call_json("GET", "/api/campaigns/nope", 404);
}

TEST_CASE_METHOD(router_fixture, "a task page holds its history and the lineage of its best", "[runtime]") {
  auto j = call_json("GET", "/api/campaigns/c1/tasks/t1", 200);
  CHECK(j["history"].size() == 3);
  REQUIRE(j["lineage"].size() == 2);
  CHECK(j["lineage"][0]["hash"] == "h1");
  CHECK(j["lineage"][1]["hash"] == "h2");
  CHECK(j["lineage"][1]["parent"] == "h1");
  CHECK(j["lineage"][1]["optimization"] == "VEC 4->8");
  CHECK(j["best_source"] == "// kernel h2");
  call_json("GET", "/api/campaigns/c1/tasks/zz", 404);
  auto tasks = call_json("GET", "/api/campaigns/c1/tasks", 200);
  CHECK(tasks["tasks"].size() == 2);
  auto c = call_json("GET", "/api/candidates/h3", 200);
  CHECK(c["source"] == "// kernel h3");
  CHECK(c["verdict"]["failed_gate"] == "compile");
  call_json("GET", "/api/candidates/none", 404);
  auto h = call_json("GET", "/api/campaigns/c1/history", 200);
  REQUIRE(h["points"].size() == 4);
  CHECK(h["points"][3]["evaluations"] == 4);
  CHECK(h["points"][3]["feasible"] == 2);
}

TEST_CASE_METHOD(router_fixture, "memory items, LLM usage and devices are served", "[runtime]") {
  auto m = call_json("GET", "/api/memory", 200);
  REQUIRE(m["items"].size() == 1);
  CHECK(m["items"][0]["q2"] == -0.25);
  CHECK(call_json("GET", "/api/memory?kind=seed", 200)["items"].empty());
  auto l = call_json("GET", "/api/llm", 200);
  CHECK(l["requests"] == 1);
  CHECK(l["tokens_in"] == 100);
  CHECK(l["cost"] == 0.5);
  actors::verifier_stats v;
  v.device = "cpu";
  v.queued = 2;
  v.waiting_run = 1;
  v.run_busy_ms = 50;
  v.uptime_ms = 100;
  hooks.devs.push_back(v);
  auto d = call_json("GET", "/api/devices", 200);
  CHECK(d["devices"][0]["busy_share"] == 0.5);
  CHECK(call_json("GET", "/api/daemon", 200)["store"] == "x");
}

TEST_CASE_METHOD(router_fixture, "control requests answer 202, 404 or 409", "[runtime]") {
  auto j = call_json("POST", "/api/campaigns/c1/pause", 202);
  CHECK(j["state"] == "paused");
  REQUIRE(hooks.controls.size() == 1);
  hooks.live[0].state = "finished";
  call_json("POST", "/api/campaigns/c1/resume", 409);
  call_json("POST", "/api/campaigns/ghost/stop", 404);
  auto r = call("GET", "/api/campaigns/c1/stop");
  CHECK(r.status == 405);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].second == "POST");
  CHECK(hooks.controls.size() == 1);
}

TEST_CASE_METHOD(router_fixture, "unknown routes and bad requests get JSON errors", "[runtime]") {
  auto j = call_json("GET", "/api/nothing/here", 404);
  CHECK(j["error"]["status"] == 404);
  CHECK_FALSE(j["error"]["message"].get<std::string>().empty());
  call_json("DELETE", "/api/campaigns", 405);
  call_json("GET", "/api/campaigns/%zz", 400);
  call_json("POST", "/api/snapshot", 400, "{not json");
  call_json("POST", "/api/snapshot", 400, "[1,2]");
  call_json("POST", "/api/snapshot", 400, R"({"name": "../../etc"})");
  call_json("POST", "/api/snapshot", 400, R"({"name": "ok", "path": "/tmp"})");
}

TEST_CASE_METHOD(router_fixture, "a snapshot is a store that opens with the same records", "[runtime]") {
  auto j = call_json("POST", "/api/snapshot", 201, R"({"name": "nightly"})");
  std::filesystem::path dir = j["path"].get<std::string>();
  CHECK(dir.parent_path() == settings.snapshot_dir);
  auto copy = memory::store::open(dir);
  REQUIRE(copy);
  auto tx = copy->read();
  REQUIRE(tx);
  auto n = memory::count_candidates(*tx, "c1");
  REQUIRE(n);
  CHECK(*n == 4);
}

TEST_CASE_METHOD(router_fixture, "static files are served and traversal is refused", "[runtime]") {
  auto r = call("GET", "/");
  CHECK(r.status == 200);
  CHECK(r.body == "<html>dashboard</html>");
  CHECK(r.content_type.rfind("text/html", 0) == 0);
  r = call("GET", "/js/app.js?v=1");
  CHECK(r.status == 200);
  CHECK(r.content_type.rfind("text/javascript", 0) == 0);
  CHECK(call("GET", "/missing.css").status == 404);
  for (const auto* bad :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/js/..%2f..%2fsecret.txt", "/js/%2E%2E/%2E%2E/secret.txt",
        "/..%5csecret.txt", "/%00index.html", "/./index.html"}) {
    INFO(bad);
    auto res = call("GET", bad);
    CHECK(res.status == 400);
    CHECK(res.body.find("TOP-SECRET") == std::string::npos);
  }
  // A symlink inside the root that leads out of it.
  std::filesystem::create_symlink(web.path() / "secret.txt", settings.static_dir / "link.txt");
  CHECK(call("GET", "/link.txt").status == 400);
  CHECK(call("POST", "/index.html").status == 405);
}

TEST_CASE_METHOD(router_fixture, "with a token, the API and metrics need it; static files do not",
                 "[runtime]") {
  settings.token = "s3cret";
  for (const auto* target : {"/api/campaigns", "/metrics"}) {
    INFO(target);
    auto missing = call("GET", target);
    CHECK(missing.status == 401);
    REQUIRE_FALSE(missing.headers.empty());
    CHECK(missing.headers[0].first == "WWW-Authenticate");
    CHECK(call("GET", target, "", "Bearer wrong").status == 401);
    CHECK(call("GET", target, "", "Bearer s3cre").status == 401);
    CHECK(call("GET", target, "", "Basic s3cret").status == 401);
    CHECK(call("GET", target, "", "Bearer s3cret").status == 200);
    // RFC 7235: the scheme is case-insensitive; the token is not.
    CHECK(call("GET", target, "", "bearer s3cret").status == 200);
    CHECK(call("GET", target, "", "BEARER  s3cret").status == 200);
    CHECK(call("GET", target, "", "bearer S3CRET").status == 401);
    CHECK(call("GET", target, "", "Bearers3cret").status == 401);
  }
  CHECK(call("POST", "/api/campaigns/c1/stop").status == 401);
  CHECK(hooks.controls.empty());
  CHECK(call("GET", "/").status == 200);
}

TEST_CASE_METHOD(router_fixture, "metrics count evaluations by verdict and gate", "[runtime]") {
  actors::verifier_stats v;
  v.device = "cpu";
  v.queued = 3;
  v.run_busy_ms = 25;
  v.uptime_ms = 100;
  hooks.devs.push_back(v);
  auto r = call("GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  const auto& m = r.body;
  CHECK(m.find("kforge_evaluations_total{campaign=\"c1\",verdict=\"feasible\",gate=\"none\"} 2\n") !=
        std::string::npos);
  CHECK(m.find("kforge_evaluations_total{campaign=\"c1\",verdict=\"infeasible\",gate=\"compile\"} 1\n") !=
        std::string::npos);
  CHECK(m.find("kforge_task_best_speedup{campaign=\"c1\",task=\"t1\"} 4\n") != std::string::npos);
  CHECK(m.find("kforge_verifier_queue_depth{device=\"cpu\"} 3\n") != std::string::npos);
  CHECK(m.find("kforge_verifier_busy_ratio{device=\"cpu\"} 0.25\n") != std::string::npos);
  CHECK(m.find("kforge_llm_tokens_total{campaign=\"c1\",model=\"m\",direction=\"in\"} 100\n") !=
        std::string::npos);
  CHECK(m.find("kforge_memory_items{kind=\"optimization\"} 1\n") != std::string::npos);
  CHECK(m.find("# TYPE kforge_evaluations_total counter\n") != std::string::npos);
  CHECK(runtime::escape_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("campaign control follows the state rules", "[runtime]") {
  using runtime::next_state;
  CHECK(next_state("running", "pause") == "paused");
  CHECK(next_state("paused", "pause") == "paused");
  CHECK(next_state("paused", "resume") == "running");
  CHECK(next_state("stopped", "resume") == "starting");
  CHECK(next_state("finished", "resume").empty());
  CHECK(next_state("finished", "stop").empty());
  CHECK(next_state("running", "stop") == "stopping");
  CHECK(next_state("invalid", "pause").empty());
  CHECK(next_state("running", "explode").empty());
}

TEST_CASE("the daemon config is checked with file and line", "[runtime]") {
  auto ok =
      runtime::parse_daemon_config("[daemon]\nport = 9000\nstore = \"s\"\npoll_ms = 100\n", "/etc/kf/d.toml");
  REQUIRE(ok);
  CHECK(ok->port == 9000);
  CHECK(ok->store == "/etc/kf/s");
  auto bad_key = runtime::parse_daemon_config("[daemon]\nport = 1\nnope = 2\n", "d.toml");
  REQUIRE_FALSE(bad_key);
  CHECK(describe(bad_key.error()).find("d.toml:3") != std::string::npos);
  auto bad_port = runtime::parse_daemon_config("[daemon]\nport = 70000\n", "d.toml");
  REQUIRE_FALSE(bad_port);
  CHECK(describe(bad_port.error()).find("d.toml:2") != std::string::npos);
  auto bad_type = runtime::parse_daemon_config("[daemon]\nlisten = 5\n", "d.toml");
  REQUIRE_FALSE(bad_type);

  runtime::daemon_config cfg;
  cfg.campaigns = "camps";
  cfg.store = "store";
  cfg.token_env = "KFORGE_TEST_NO_SUCH_VARIABLE";
  cfg.listen = "0.0.0.0";
  auto err = runtime::finish_daemon_config(cfg);
  REQUIRE(err);
  CHECK(describe(err).find("token") != std::string::npos);
  cfg.token = "t";
  CHECK_FALSE(runtime::finish_daemon_config(cfg));
  CHECK(cfg.snapshot_dir == cfg.store / "snapshots");
  CHECK(runtime::is_loopback("127.0.0.1"));
  CHECK(runtime::is_loopback("::1"));
  CHECK(runtime::is_loopback("0:0:0:0:0:0:0:1"));
  CHECK_FALSE(runtime::is_loopback("10.0.0.1"));
  CHECK_FALSE(runtime::is_loopback("127.example.com"));
}

TEST_CASE("a listen address is an IP address or localhost, bracketed IPv6 included", "[runtime]") {
  runtime::daemon_config cfg;
  cfg.campaigns = "camps";
  cfg.store = "store";
  cfg.token_env = "KFORGE_TEST_NO_SUCH_VARIABLE";
  SECTION("[::1] is the IPv6 loopback: no token needed") {
    cfg.listen = "[::1]";
    CHECK_FALSE(runtime::finish_daemon_config(cfg));
    CHECK(cfg.listen == "::1");
  }
  SECTION("a name that is no address says so, not that it needs a token") {
    cfg.listen = "not-an-ip";
    auto err = runtime::finish_daemon_config(cfg);
    REQUIRE(err);
    CHECK(code_of(err) == errc::bad_config);
    CHECK_THAT(describe(err), Catch::Contains("listen address 'not-an-ip' is not an IP address") &&
                                  !Catch::Contains("token"));
  }
  SECTION("a routable address still needs a token") {
    cfg.listen = "[2001:db8::1]";
    auto err = runtime::finish_daemon_config(cfg);
    REQUIRE(err);
    CHECK_THAT(describe(err), Catch::Contains("listening on 2001:db8::1 needs an API token"));
  }
  CHECK_FALSE(runtime::listen_address("[::1"));
  CHECK(runtime::listen_address("localhost"));
}

TEST_CASE_METHOD(router_fixture, "a campaign the daemon knows before the store does is listed with zeros",
                 "[runtime]") {
  runtime::live_campaign l;
  l.name = "fresh";
  l.state = "starting";
  l.file = "campaigns/fresh.toml";
  l.has_progress = true;
  l.progress.budget = 40;
  hooks.live.push_back(l);
  auto j = call_json("GET", "/api/campaigns", 200);
  REQUIRE(j["campaigns"].size() == 2);
  const auto& c = j["campaigns"][1];
  CHECK(c["name"] == "fresh");
  CHECK(c["state"] == "starting");
  CHECK(c["stored_status"] == "");
  CHECK(c["file"] == "campaigns/fresh.toml");
  CHECK(c["budget"] == 40);
  CHECK(c["evaluations"] == 0);
  CHECK(c["tasks"] == 0);
  CHECK(c["best_speedup"].empty());
  CHECK(c["wall_ms"] == 0);
}

TEST_CASE("only a snapshot is a slow request", "[runtime]") {
  auto kind = [](const std::string& method, const std::string& target) {
    return runtime::slow_request_kind(runtime::api_request{method, target, "", ""});
  };
  CHECK(kind("POST", "/api/snapshot") == "snapshot");
  CHECK(kind("POST", "/api/snapshot?x=1") == "snapshot");
  CHECK(kind("GET", "/api/snapshot").empty());  // 405 at once
  CHECK(kind("GET", "/api/campaigns").empty());
  CHECK(kind("POST", "/api/campaigns/c1/stop").empty());
}

TEST_CASE_METHOD(router_fixture, "the series gives geomean and fast_p over the run and the stall",
                 "[runtime][series]") {
  auto j = call_json("GET", "/api/campaigns/c1/series", 200);
  CHECK(j["tasks"] == 2);
  CHECK(j["evaluations"] == 4);
  REQUIRE(j["points"].size() == 4);
  const auto& last = j["points"][3];
  CHECK(last["evaluations"] == 4);
  CHECK(last["t_ms"] == 1020);
  CHECK(last["geomean"].get<double>() == Approx(2.0));  // sqrt(4 x 1): t2 has no best
  CHECK(last["fast_1"].get<double>() == Approx(0.5));
  CHECK(j["points"][0]["geomean"].get<double>() == Approx(std::sqrt(2.0)));
  CHECK(j["last_improvement_ms"] == 1010);
  CHECK(j["stall"]["stalled"] == true);  // running, and nothing improved since 1970
  CHECK(j["stall"]["since_ms"] == 1010);
  CHECK(call_json("GET", "/api/campaigns/c1/series?points=2", 200)["points"].size() == 2);
  call_json("GET", "/api/campaigns/c1/series?points=1", 400);
  call_json("GET", "/api/campaigns/c1/series?points=x", 400);
  call_json("GET", "/api/campaigns/nope/series", 404);
  settings.stall_minutes = 0;
  CHECK(call_json("GET", "/api/campaigns/c1/series", 200)["stall"]["stalled"] == false);
  auto cfg = runtime::parse_daemon_config("[daemon]\nstall_minutes = 2.5\n", "d.toml");
  REQUIRE(cfg);
  CHECK(cfg->stall_minutes == 2.5);
  auto bad = runtime::parse_daemon_config("[daemon]\nstall_minutes = -1\n", "d.toml");
  REQUIRE_FALSE(bad);
  CHECK(describe(bad.error()).find("d.toml:2") != std::string::npos);
  CHECK(describe(bad.error()).find("stall_minutes") != std::string::npos);
}

TEST_CASE_METHOD(router_fixture, "a task page shows its archive, and unstarted tasks count in the total",
                 "[runtime]") {
  auto j = call_json("GET", "/api/campaigns/c1/tasks/t1", 200);
  REQUIRE(j["archive"].size() == 2);
  CHECK(j["archive"][0]["hash"] == "h2");
  CHECK(j["archive"][0]["speedup_vs_ref"].get<double>() == Approx(4.0));
  CHECK(j["archive"][1]["hash"] == "h1");
  CHECK(j["task"]["failed"] == false);
  CHECK(runtime::is_failure_reason("reference failed"));
  CHECK(runtime::is_failure_reason("verifier: sandbox_failed: no such file"));
  CHECK_FALSE(runtime::is_failure_reason("plateau"));
  CHECK_FALSE(runtime::is_failure_reason(""));
  auto& l = hooks.live[0];
  l.has_progress = true;
  for (const char* id : {"t1", "t2", "t3"}) {
    actors::task_progress p;
    p.task_id = id;
    p.phase = "draft";
    l.progress.tasks.push_back(p);
  }
  auto c = call_json("GET", "/api/campaigns/c1", 200);
  CHECK(c["tasks"] == 3);
  CHECK(c["tasks_started"] == 2);
  REQUIRE(c["task_list"].size() == 3);
  CHECK(c["task_list"][2]["id"] == "t3");
  CHECK(c["task_list"][2]["phase"] == "not started");
  CHECK(call_json("GET", "/api/campaigns/c1/series", 200)["tasks"] == 3);
}
