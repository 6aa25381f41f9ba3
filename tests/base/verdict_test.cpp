#include "runtime/base/verdict.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace kforge;

TEST_CASE("Timing statistics give the median, minimum, mean and spread", "[base]") {
  auto stats = summarize_timing({40, 10, 30, 20});
  CHECK(stats.count == 4);
  CHECK(stats.min_ns == 10);
  CHECK(stats.median_ns == 25);
  CHECK(stats.mean_ns == 25);
  CHECK(stats.stddev_ns == Approx(std::sqrt(500.0 / 3.0)));
  CHECK(summarize_timing({7}).median_ns == 7);
  CHECK(summarize_timing({}).count == 0);
  // n = 4: the CI runs from rank 1 to rank 4, half of 40 - 10.
  CHECK(stats.ci_half_ns == 15);
  CHECK_FALSE(stats.converged);
  CHECK(stats.relative_ci() == Approx(0.6));
  CHECK(summarize_timing({40, 10, 30, 20}, 0.7).converged);
  // Identical times converge at any positive width, never at width 0.
  std::vector<uint64_t> flat(30, 100);
  CHECK(summarize_timing(flat).converged);
  CHECK(summarize_timing(flat).ci_half_ns == 0);
  CHECK_FALSE(summarize_timing(flat, 0).converged);
}

TEST_CASE("The median's confidence interval uses ranks n/2 -+ 1.96 sqrt(n)/2", "[base]") {
  CHECK(median_ci(0).lo == 0);
  CHECK(median_ci(1).lo == 1);
  CHECK(median_ci(1).hi == 1);
  CHECK(median_ci(10).lo == 1);
  CHECK(median_ci(10).hi == 9);
  CHECK(median_ci(100).lo == 40);
  CHECK(median_ci(100).hi == 60);
  // Ranks 40..60 of 1..100: a spread of 20 around a median of 50.5.
  std::vector<uint64_t> ramp;
  for (uint64_t i = 1; i <= 100; ++i)
    ramp.push_back(i);
  auto stats = summarize_timing(ramp, 0.25);
  CHECK(stats.ci_half_ns == 10);
  CHECK(stats.converged);
  CHECK_FALSE(summarize_timing(ramp, 0.15).converged);
}

TEST_CASE("Two measurements disagree when their medians differ by more than the threshold", "[base]") {
  timing_stats a;
  a.median_ns = 100;
  a.count = 10;
  auto b = a;
  b.median_ns = 109;
  CHECK_FALSE(timings_disagree(a, b, 0.1));
  b.median_ns = 111;
  CHECK(timings_disagree(a, b, 0.1));
  CHECK(timings_disagree(b, a, 0.1));
  b.count = 0;
  CHECK_FALSE(timings_disagree(a, b, 0.1));
}
