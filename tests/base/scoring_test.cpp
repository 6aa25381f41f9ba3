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
