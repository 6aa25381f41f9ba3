#include "runtime/base/scoring.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace kforge;

TEST_CASE("A speedup is reference over candidate time, and none without two positive timings", "[base]") {
  CHECK(speedup(2000, 500) == Approx(4.0));
  CHECK(speedup(500, 2000) == Approx(0.25));
  SECTION("zero or negative timings give none") {
    CHECK(speedup(0, 500) == 0.0);
    CHECK(speedup(2000, 0) == 0.0);
    CHECK(speedup(-1, 500) == 0.0);
    CHECK(speedup(2000, -3) == 0.0);
    CHECK(speedup(0, 0) == 0.0);
  }
  SECTION("NaN timings give none") {
    double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK(speedup(nan, 500) == 0.0);
    CHECK(speedup(2000, nan) == 0.0);
  }
}

TEST_CASE("The geometric means count a task without a speedup as 1.0 over all, and skip it over the correct",
          "[base]") {
  SECTION("no tasks") {
    auto m = geomean_speedups({});
    CHECK(m.tasks == 0);
    CHECK(m.correct == 0);
    CHECK(m.over_all == 0.0);
    CHECK(m.over_correct == 0.0);
  }
  SECTION("no correct task") {
    auto m = geomean_speedups({0.0, 0.0});
    CHECK(m.tasks == 2);
    CHECK(m.correct == 0);
    CHECK(m.over_all == Approx(1.0));
    CHECK(m.over_correct == 0.0);
  }
  SECTION("a mix") {
    auto m = geomean_speedups({4.0, 0.0, 0.25, 16.0});
    CHECK(m.tasks == 4);
    CHECK(m.correct == 3);
    CHECK(m.over_all == Approx(std::pow(16.0, 0.25)));
    CHECK(m.over_correct == Approx(std::pow(16.0, 1.0 / 3.0)));
  }
  SECTION("negative values count as none") {
    auto m = geomean_speedups({-2.0, 9.0});
    CHECK(m.correct == 1);
    CHECK(m.over_all == Approx(3.0));
    CHECK(m.over_correct == Approx(9.0));
  }
}

TEST_CASE("fast_p is the share of tasks correct and strictly more than p times faster", "[base]") {
  std::vector<double> s{0.0, 0.5, 1.0, 2.0, 3.0};
  CHECK(fast_p({}, 1.0) == 0.0);
  CHECK(fast_p(s, 0.0) == Approx(0.8));  // fast_0: correct ones
  CHECK(fast_p(s, 0.5) == Approx(0.6));  // exactly p is not faster than p
  CHECK(fast_p(s, 1.0) == Approx(0.4));
  CHECK(fast_p(s, 2.0) == Approx(0.2));
  CHECK(fast_p(s, 3.0) == 0.0);
  CHECK(fast_p({-1.0, 0.0}, -5.0) == 0.0);  // none never counts, whatever p
}

TEST_CASE("The fast_p curve has 17 points from 0 to 4 by default", "[base]") {
  auto curve = fast_p_curve({1.1, 0.0});
  REQUIRE(curve.size() == 17);
  CHECK(curve.front().first == 0.0);
  CHECK(curve.front().second == Approx(0.5));
  CHECK(curve[4].first == Approx(1.0));
  CHECK(curve[4].second == Approx(0.5));
  CHECK(curve[5].second == 0.0);
  CHECK(curve.back().first == 4.0);
  CHECK(fast_p_curve({}, 0.5, 1.0) == std::vector<std::pair<double, double>>{{0, 0}, {0.5, 0}, {1.0, 0}});
  CHECK(fast_p_curve({2.0}, 0.0).empty());
}

TEST_CASE("count_faster counts what fast_p shares", "[base]") {
  std::vector<double> s{0.0, 1.5, 2.5};
  CHECK(count_faster({}, 0.0) == 0);
  CHECK(count_faster(s, 0.0) == 2);
  CHECK(count_faster(s, 1.5) == 1);
  CHECK(count_faster(s, 2.5) == 0);
}

TEST_CASE("Gains count only beyond the noise: CI and the between-run noise floor", "[base]") {
  auto t = [](double median, double ci) { return latency_of(median, ci); };
  SECTION("the trusted interval is the wider of the CI and half the noise floor") {
    auto i = interval_of(t(100, 1), 0.10);
    CHECK(i.lo == Approx(95));
    CHECK(i.hi == Approx(105));
    auto wide = interval_of(t(100, 20), 0.10);
    CHECK(wide.lo == Approx(80));
    CHECK(interval_of(timing_stats{}, 0.1).hi == 0.0);
  }
  SECTION("identical code timed 79 / 66 / 64 us is no gain under a 25 % floor") {
    CHECK_FALSE(beats_beyond_noise(t(66, 0.5), t(79, 0.5), 0.25));
    CHECK(gain_beyond_noise(t(79, 0.5), t(64, 0.5), 0.25) == 1.0);
    // With no floor the CIs alone separate them: the old rule's "improvement".
    CHECK(beats_beyond_noise(t(66, 0.5), t(79, 0.5), 0.0));
  }
  SECTION("a real gain or loss keeps its ratio") {
    CHECK(gain_beyond_noise(t(100, 1), t(50, 1), 0.10) == Approx(2.0));
    CHECK(gain_beyond_noise(t(50, 1), t(100, 1), 0.10) == Approx(0.5));
    CHECK(gain_beyond_noise(t(100, 1), timing_stats{}, 0.10) == 0.0);
  }
  SECTION("overlapping CIs are no gain even past the floor") {
    CHECK_FALSE(beats_beyond_noise(t(80, 15), t(100, 10), 0.05));
    CHECK(gain_beyond_noise(t(100, 10), t(80, 15), 0.05) == 1.0);
  }
}
