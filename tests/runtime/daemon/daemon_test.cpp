// End to end: the daemon on a temporary store picks up a campaign file dropped
// into its directory, is followed and controlled through the API, stops
// gracefully on SIGTERM, and on restart resumes the campaign to its end with
// every committed candidate kept exactly once. Synchronises on log lines.

#include "runtime/daemon/daemon_config.hpp"

#include "tests/support/campaign_view.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <set>

using namespace kforge;
using json = nlohmann::json;

namespace {

constexpr int daemon_per_task = 5;
constexpr int task_count = 3;

// A campaign file, written under another name and renamed, so the daemon never reads half a file.
void write_campaign(const std::filesystem::path& dir, const std::string& name, const std::string& tasks,
                    int evaluations) {
  auto tmp = dir / (name + ".toml.part");
  {
    std::ofstream out{tmp};
    out << "[campaign]\nname = \"" << name << "\"\nseed = 9\ntasks = [" << tasks << "]\n"
        << "[budget]\nevaluations_per_task = " << evaluations << "\nplateau = 0\n"
        << "[policy]\ncandidates_per_step = 2\n"
        << "[verifier]\nmin_runs = 3\nmax_runs = 10\ntarget_ms = 5\nwarmup = 1\nseeds = 2\nfinal_rounds = "
           "0\n";
  }
  std::filesystem::rename(tmp, dir / (name + ".toml"));
}

std::string task_glob(const std::string& glob) {
  return "\"" + std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/" + glob + "\"";
}

std::string write_daemon_config(const test::temp_dir& dir) {
  auto path = dir.path() / "daemon.toml";
  std::ofstream out{path};
  out << "[daemon]\ncampaigns = \"campaigns\"\nstore = \"store\"\nport = 0\npoll_ms = 100\ntick_ms = 100\n";
  return path.string();
}

uint16_t port_of(const std::string& log) {
  auto port = test::port_after(log, "API on http://127.0.0.1:");
  REQUIRE(port);
  return *port;
}

json get_json(uint16_t port, const std::string& target) {
  auto r = test::http_call(port, "GET", target);
  INFO(target << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

}  // namespace

TEST_CASE("the daemon runs a dropped-in campaign, stops on SIGTERM and resumes it after a restart",
          "[runtime]") {
  test::temp_dir dir{"daemon"};
  std::filesystem::create_directories(dir.path() / "campaigns");
  auto config = write_daemon_config(dir);
  const std::vector<std::string> argv{KFORGE_BINARY, "--log-level",     "info",
                                      "daemon",      "--daemon-config", config};
  test::campaign_view before;
  {
    test::child_process daemon{argv, "-"};
    auto port = port_of(daemon.read_until("API on http://"));
    CHECK(get_json(port, "/api/campaigns")["campaigns"].empty());
    // Two campaigns at once over one pool and one memory: "day" is small and shares a task with
    // "night", which brings tasks the pool does not know yet (the pool's catalog grows).
    write_campaign(dir.path() / "campaigns", "day",
                   task_glob("gelu_tanh_49999.toml") + ", " + task_glob("cumsum_rows_256x1024.toml"), 2);
    daemon.read_until("campaign started", "campaign=day");
    write_campaign(dir.path() / "campaigns", "night",
                   task_glob("row_sum_*.toml") + ", " + task_glob("gelu_tanh_49999.toml"), daemon_per_task);
    std::string log;
    int night_verified = 0;
    bool day_done = false;
    bool night_paused = false;
    while (!(day_done && night_paused)) {
      auto line = daemon.read_line();
      if (!line)
        FAIL("the daemon's output ended" << (daemon.timed_out() ? " (killed at its time limit)" : "") << ":\n"
                                         << log);
      log += *line + "\n";
      if (line->find("candidate verified") != std::string::npos &&
          line->find("campaign=night") != std::string::npos)
        night_verified += 1;
      if (line->find("kforge.daemon campaign ended campaign=day status=finished") != std::string::npos)
        day_done = true;
      // Pause "night" as soon as it has work committed, so it cannot run to its end while "day"
      // finishes (slowly on a loaded machine, or under a sanitizer) and the test looks around.
      if (night_verified >= 4 && !night_paused) {
        CHECK(test::http_call(port, "POST", "/api/campaigns/night/pause").status == 202);
        night_paused = true;
      }
    }
    INFO(log);
    auto day = get_json(port, "/api/campaigns/day");
    CHECK(day["state"] == "finished");
    CHECK(day["evaluations"] == 4);
    auto pools = get_json(port, "/api/daemon")["pools"];
    REQUIRE(pools.size() == 1);  // one pool for both campaigns
    CHECK(pools[0]["tasks"] == 4);

    // A changed file stops its campaign gracefully and starts it again with the new text.
    {
      std::ifstream in{dir.path() / "campaigns" / "night.toml"};
      std::ofstream out{dir.path() / "night.part"};
      out << in.rdbuf() << "# changed\n";
    }
    std::filesystem::rename(dir.path() / "night.part", dir.path() / "campaigns" / "night.toml");
    daemon.read_until("kforge.daemon campaign ended campaign=night status=stopped");
    daemon.read_until("campaign started", "campaign=night");
    auto paused = test::http_call(port, "POST", "/api/campaigns/night/pause");
    CHECK(paused.status == 202);
    CHECK(paused.body.find("\"state\":\"paused\"") != std::string::npos);

    // The daemon owns what it runs (the restart took the owner lock again): `status` sees a live
    // owner, and a `kforge run` of the campaign in the daemon's store is refused.
    {
      std::string out;
      auto store = (dir.path() / "store").string();
      CHECK(test::run_to_end({KFORGE_BINARY, "status", "--store", store, "--campaign", "night", "--json"},
                             out) == 0);
      CHECK(out.find("\"owner_pid\":") != std::string::npos);
      CHECK(out.find("\"owner_pid\":null") == std::string::npos);
      CHECK(test::run_to_end({KFORGE_BINARY, "run", (dir.path() / "campaigns" / "night.toml").string(),
                              "--store", store, "--no-progress"},
                             out) == 1);
      CHECK(out.find("campaign night is already running in process") != std::string::npos);
    }

    // A file that does not load is reported with its line and changes nothing.
    {
      std::ofstream{dir.path() / "broken.part"} << "[campaign]\nname = = 1\n";
      std::filesystem::rename(dir.path() / "broken.part", dir.path() / "campaigns" / "broken.toml");
    }
    daemon.read_until("campaign file does not load", "broken.toml");
    auto info = get_json(port, "/api/daemon");
    REQUIRE(info["errors"].size() == 1);
    CHECK(info["errors"][0]["message"].get<std::string>().find("broken.toml:2") != std::string::npos);

    auto c = get_json(port, "/api/campaigns/night");
    CHECK(c["state"] == "paused");
    CHECK(c["budget"] == daemon_per_task * task_count);
    CHECK(c["task_list"].size() <= static_cast<size_t>(task_count));
    CHECK(test::http_call(port, "POST", "/api/campaigns/day/pause").status == 409);  // finished
    CHECK(test::http_call(port, "POST", "/api/campaigns/ghost/stop").status == 404);
    auto metrics = test::http_call(port, "GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("kforge_verifier_queue_depth{device=\"cpu\"}") != std::string::npos);
    CHECK(metrics.body.find("kforge_evaluations_total{campaign=\"day\"") != std::string::npos);
    auto resumed = test::http_call(port, "POST", "/api/campaigns/night/resume");
    CHECK(resumed.status == 202);
    CHECK(get_json(port, "/api/campaigns/night")["state"] == "running");

    daemon.kill(SIGTERM);
    auto rest = daemon.read_until("stopped; every campaign is committed");
    INFO(rest);
    CHECK(daemon.wait() == 0);
  }
  before = test::read_campaign(dir.path() / "store", "night");
  CHECK(before.campaign.status == "stopped");
  int64_t committed = 0;
  for (const auto& t : before.tasks)
    committed += t.evaluations;
  CHECK(committed >= 1);
  CHECK(committed < daemon_per_task * task_count);
  CHECK(before.campaign.evaluations == committed);

  std::string log;
  {
    test::child_process daemon{argv, "-"};
    log = daemon.read_until("API on http://");
    auto port = port_of(log);
    // The stopped campaign shows what it had before anything new runs.
    auto first = get_json(port, "/api/campaigns/night");
    CHECK(first["evaluations"].get<int64_t>() >= committed);
    log += daemon.read_until("kforge.daemon campaign ended campaign=night status=finished");
    auto c = get_json(port, "/api/campaigns/night");
    CHECK(c["state"] == "finished");
    CHECK(c["tasks_done"] == task_count);
    CHECK(c["evaluations"].get<int64_t>() <= daemon_per_task * task_count);
    CHECK(c["evaluations"].get<int64_t>() > committed);
    daemon.kill(SIGTERM);
    daemon.read_until("stopped; every campaign is committed");
    CHECK(daemon.wait() == 0);
  }
  INFO(log);
  // Nothing verified before the stop was verified again.
  for (const auto& [hash, cand] : before.candidates) {
    auto needle = "cand=" + hash.substr(0, 12);
    CHECK(log.find(needle) == std::string::npos);
  }
  auto after = test::read_campaign(dir.path() / "store", "night");
  CHECK(after.campaign.status == "finished");
  for (const auto& [hash, cand] : before.candidates) {
    REQUIRE(after.candidates.count(hash) == 1);
    CHECK(after.candidates[hash].seq == cand.seq);
    CHECK(after.candidates[hash].verdict.failed_gate == cand.verdict.failed_gate);
  }
  int64_t total = 0;
  for (const auto& t : after.tasks) {
    const auto& hashes = after.order[t.task_id];
    CHECK(std::set<std::string>(hashes.begin(), hashes.end()).size() == hashes.size());
    CHECK(static_cast<int64_t>(hashes.size()) == t.evaluations);
    for (size_t i = 0; i < hashes.size(); ++i)
      CHECK(after.candidates[hashes[i]].seq == static_cast<int64_t>(i));
    CHECK(t.phase == "done");
    CHECK(t.stop_reason != "stopped");  // the SIGTERM stop did not end any task for good
    total += t.evaluations;
  }
  CHECK(after.campaign.evaluations == total);
}

TEST_CASE("the daemon config reads a [workers] table like a campaign's, with file and line",
          "[runtime][daemon]") {
  auto ok = runtime::parse_daemon_config(
      "[daemon]\nport = 9000\n[workers]\nlisten = \"0.0.0.0:7700\"\nsecret_file = \"w.secret\"\nlocal = "
      "false\n",
      "/etc/kf/d.toml");
  REQUIRE(ok);
  CHECK(ok->workers.enabled());
  CHECK(ok->workers.tls);
  CHECK_FALSE(ok->workers.local);
  CHECK(ok->workers.secret_file == "/etc/kf/w.secret");
  auto none = runtime::parse_daemon_config("[daemon]\nport = 9000\n", "d.toml");
  REQUIRE(none);
  CHECK_FALSE(none->workers.enabled());
  auto plaintext = runtime::parse_daemon_config(
      "[workers]\nlisten = \"10.0.0.2:7700\"\ntls = false\nsecret_file = \"w.secret\"\n", "d.toml");
  REQUIRE_FALSE(plaintext);
  CHECK_THAT(describe(plaintext.error()), Catch::Contains("d.toml:2") && Catch::Contains("plaintext"));
  auto no_secret = runtime::parse_daemon_config("[workers]\nlisten = \"127.0.0.1:7700\"\n", "d.toml");
  REQUIRE_FALSE(no_secret);
  CHECK_THAT(describe(no_secret.error()), Catch::Contains("secret_file"));
  auto stray = runtime::parse_daemon_config("[daemon]\nport = 1\n[budget]\nwall_minutes = 3\n", "d.toml");
  REQUIRE_FALSE(stray);
  CHECK_THAT(describe(stray.error()), Catch::Contains("d.toml:3") && Catch::Contains("'budget'"));
}
