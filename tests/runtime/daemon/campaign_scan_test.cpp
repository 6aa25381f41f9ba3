// The daemon's campaign-file rules as a pure function: each rule of
// runtime/daemon/campaign_scan.hpp with the smallest scan that shows it.

#include "runtime/daemon/campaign_scan.hpp"

#include <catch2/catch.hpp>

using namespace kforge::runtime;

namespace {

scanned_file loads(const std::string& path, const std::string& hash, const std::string& name) {
  return {path, hash, name, ""};
}

scanned_file broken(const std::string& path, const std::string& hash, const std::string& error) {
  return {path, hash, "", error};
}

}  // namespace

TEST_CASE("a new campaign file starts its campaign", "[runtime][daemon]") {
  auto plan = plan_scan({loads("d/a.toml", "h1", "alpha")}, {}, {});
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0] == scan_action{scan_verb::start, "d/a.toml", "alpha", ""});
  CHECK(plan.files.at("d/a.toml") == watched_file{"h1", "alpha"});

  SECTION("a stopped campaign the daemon knows starts again from a new file") {
    auto again = plan_scan({loads("d/a.toml", "h1", "alpha")}, {}, {{"alpha", {"h0", false, false}}});
    REQUIRE(again.actions.size() == 1);
    CHECK(again.actions[0].verb == scan_verb::start);
  }
}

TEST_CASE("an unchanged campaign file changes nothing", "[runtime][daemon]") {
  std::map<std::string, watched_file> watched{{"d/a.toml", {"h1", "alpha"}}};
  auto plan = plan_scan({loads("d/a.toml", "h1", "alpha")}, watched, {{"alpha", {"h1", true, false}}});
  CHECK(plan.actions.empty());
  CHECK(plan.files == watched);

  SECTION("even when its campaign has stopped since") {
    auto stopped = plan_scan({loads("d/a.toml", "h1", "alpha")}, watched, {{"alpha", {"h1", false, false}}});
    CHECK(stopped.actions.empty());
  }
}

TEST_CASE("a changed campaign file restarts its live campaign", "[runtime][daemon]") {
  std::map<std::string, watched_file> watched{{"d/a.toml", {"h1", "alpha"}}};
  auto plan = plan_scan({loads("d/a.toml", "h2", "alpha")}, watched, {{"alpha", {"h1", true, false}}});
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0] == scan_action{scan_verb::restart, "d/a.toml", "alpha", ""});
  CHECK(plan.files.at("d/a.toml") == watched_file{"h2", "alpha"});

  SECTION("a live campaign already running that text is left alone") {
    auto same = plan_scan({loads("d/a.toml", "h2", "alpha")}, watched, {{"alpha", {"h2", true, false}}});
    CHECK(same.actions.empty());
  }
  SECTION("a campaign that is not live starts with the new text") {
    auto idle = plan_scan({loads("d/a.toml", "h2", "alpha")}, watched, {{"alpha", {"h1", false, false}}});
    REQUIRE(idle.actions.size() == 1);
    CHECK(idle.actions[0].verb == scan_verb::start);
  }
}

TEST_CASE("a finished campaign stays finished when its file changes", "[runtime][daemon]") {
  std::map<std::string, watched_file> watched{{"d/a.toml", {"h1", "alpha"}}};
  auto plan = plan_scan({loads("d/a.toml", "h2", "alpha")}, watched, {{"alpha", {"h1", false, true}}});
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0] == scan_action{scan_verb::keep_finished, "d/a.toml", "alpha", ""});
}

TEST_CASE("of two files naming one campaign the later is refused", "[runtime][daemon]") {
  SECTION("a new file against a watched one") {
    std::map<std::string, watched_file> watched{{"d/b.toml", {"h1", "alpha"}}};
    auto plan = plan_scan({loads("d/a.toml", "h2", "alpha"), loads("d/b.toml", "h1", "alpha")}, watched,
                          {{"alpha", {"h1", true, false}}});
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].verb == scan_verb::refuse);
    CHECK(plan.actions[0].file == "d/a.toml");
    CHECK(plan.actions[0].message == "campaign 'alpha' is already defined by another file");
    CHECK(plan.files.at("d/a.toml") == watched_file{"h2", ""});
    CHECK(plan.files.at("d/b.toml") == watched_file{"h1", "alpha"});
  }
  SECTION("a watched file that changed keeps its campaign against a newcomer") {
    std::map<std::string, watched_file> watched{{"d/b.toml", {"h1", "alpha"}}};
    auto plan = plan_scan({loads("d/a.toml", "h2", "alpha"), loads("d/b.toml", "h3", "alpha")}, watched,
                          {{"alpha", {"h1", true, false}}});
    REQUIRE(plan.actions.size() == 2);
    CHECK(plan.actions[0].verb == scan_verb::refuse);
    CHECK(plan.actions[0].file == "d/a.toml");
    CHECK(plan.actions[1] == scan_action{scan_verb::restart, "d/b.toml", "alpha", ""});
  }
  SECTION("two new files in one scan: the first by path wins") {
    auto plan = plan_scan({loads("d/b.toml", "h2", "alpha"), loads("d/a.toml", "h1", "alpha")}, {}, {});
    REQUIRE(plan.actions.size() == 2);
    CHECK(plan.actions[0] == scan_action{scan_verb::start, "d/a.toml", "alpha", ""});
    CHECK(plan.actions[1].verb == scan_verb::refuse);
    CHECK(plan.actions[1].file == "d/b.toml");
  }
  SECTION("a refused file stays refused until it changes") {
    std::map<std::string, watched_file> watched{{"d/a.toml", {"h1", "alpha"}}, {"d/b.toml", {"h2", ""}}};
    auto plan = plan_scan({loads("d/a.toml", "h1", "alpha"), loads("d/b.toml", "h2", "alpha")}, watched,
                          {{"alpha", {"h1", true, false}}});
    CHECK(plan.actions.empty());
  }
  SECTION("a file removed in the same scan claims nothing") {
    std::map<std::string, watched_file> watched{{"d/a.toml", {"h1", "alpha"}}};
    auto plan = plan_scan({loads("d/b.toml", "h1", "alpha")}, watched, {{"alpha", {"h1", true, false}}});
    REQUIRE(plan.actions.size() == 1);  // renamed: the campaign runs on, now from b
    CHECK(plan.actions[0] == scan_action{scan_verb::removed, "d/a.toml", "alpha", ""});
    CHECK(plan.files.at("d/b.toml") == watched_file{"h1", "alpha"});
  }
}

TEST_CASE("a campaign file that does not load is reported once and changes nothing", "[runtime][daemon]") {
  auto plan = plan_scan({broken("d/x.toml", "h9", "d/x.toml:2: bad")}, {}, {});
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0] == scan_action{scan_verb::report, "d/x.toml", "", "d/x.toml:2: bad"});
  auto again = plan_scan({broken("d/x.toml", "h9", "d/x.toml:2: bad")}, plan.files, {});
  CHECK(again.actions.empty());

  SECTION("a running campaign whose file breaks keeps running") {
    std::map<std::string, watched_file> watched{{"d/a.toml", {"h1", "alpha"}}};
    auto broke =
        plan_scan({broken("d/a.toml", "h2", "d/a.toml:1: bad")}, watched, {{"alpha", {"h1", true, false}}});
    REQUIRE(broke.actions.size() == 1);
    CHECK(broke.actions[0].verb == scan_verb::report);
  }
}

TEST_CASE("a removed campaign file leaves its campaign as it is", "[runtime][daemon]") {
  std::map<std::string, watched_file> watched{{"d/a.toml", {"h1", "alpha"}}, {"d/b.toml", {"h2", "beta"}}};
  auto plan = plan_scan({loads("d/b.toml", "h2", "beta")}, watched, {{"alpha", {"h1", true, false}}});
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0] == scan_action{scan_verb::removed, "d/a.toml", "alpha", ""});
  CHECK(plan.files.count("d/a.toml") == 0);
}
