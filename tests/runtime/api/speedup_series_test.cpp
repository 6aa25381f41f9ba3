// The dashboard's series (runtime/api/speedup_series.hpp): the bests replayed
// from candidates, geomean speedup and fast_p after each evaluation,
// downsampling, and the stall rule.

#include "runtime/api/speedup_series.hpp"

#include "runtime/base/scoring.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kforge;
using runtime::series_event;

namespace {

memory::task_record task(const std::string& id, double reference_ns) {
  memory::task_record t;
  t.task_id = id;
  t.reference_latency_ns = reference_ns;
  return t;
}

memory::candidate_record timed(const std::string& task, int64_t seq, int64_t t_ms, double median_ns,
                               double ci_ns = 0) {
  memory::candidate_record c;
  c.hash = task + "-" + std::to_string(seq);
  c.task_id = task;
  c.seq = seq;
  c.created_ms = t_ms;
  c.verdict.feasible = true;
  c.verdict.timing.median_ns = median_ns;
  c.verdict.timing.ci_half_ns = ci_ns;
  c.verdict.timing.count = median_ns > 0 ? 10 : 0;
  return c;
}

memory::candidate_record failing(const std::string& task, int64_t seq, int64_t t_ms) {
  auto c = timed(task, seq, t_ms, 0);
  c.verdict.feasible = false;
  c.verdict.failed_gate = "correctness";
  return c;
}

}  // namespace

TEST_CASE("bests are replayed in each task's order and need to beat the noise", "[runtime][series]") {
  std::vector<memory::task_record> tasks{task("a", 1000), task("b", 900)};
  // Out of order on purpose: the replay sorts by commit time, task and sequence.
  std::vector<memory::candidate_record> cands{
      timed("a", 1, 20, 480),   // 500 -> 480: within the 10 % noise, not a new best
      timed("a", 0, 10, 500),   // first timed: best, 2x
      failing("b", 0, 15),      // no best yet
      timed("b", 1, 30, 300),   // 3x
      timed("a", 2, 40, 250),   // 4x
      timed("zz", 0, 5, 100)};  // a task the campaign does not have: skipped
  auto e = runtime::replay_bests(tasks, cands, 0.10);
  REQUIRE(e.size() == 5);
  CHECK(e[0].t_ms == 10);
  CHECK(e[0].task == 0);
  CHECK(e[0].speedup == Approx(2.0));
  CHECK(e[0].improved);
  CHECK(e[1].t_ms == 15);
  CHECK(e[1].speedup == 0);
  CHECK_FALSE(e[1].improved);
  CHECK(e[2].t_ms == 20);
  CHECK(e[2].speedup == Approx(2.0));  // 480 ns did not beat 500 ns beyond the noise
  CHECK_FALSE(e[2].improved);
  CHECK(e[3].speedup == Approx(3.0));
  CHECK(e[4].speedup == Approx(4.0));
  CHECK(e[4].improved);
}

TEST_CASE("geomean and fast_p at each point match the scoring functions", "[runtime][series]") {
  // Three tasks, the third never starts: it counts as 1.0 in the geomean and in fast_p's total.
  std::vector<series_event> ev{
      {100, 0, 2.0, true}, {200, 1, 0.5, true}, {300, 0, 4.0, true}, {400, 1, 0.5, false}};
  auto s = runtime::compute_series(ev, 3, 500);
  REQUIRE(s.points.size() == 4);
  CHECK(s.evaluations == 4);
  CHECK(s.last_improvement_ms == 300);
  std::vector<std::vector<double>> bests{{2.0, 0, 0}, {2.0, 0.5, 0}, {4.0, 0.5, 0}, {4.0, 0.5, 0}};
  for (size_t i = 0; i < 4; ++i) {
    INFO("point " << i);
    auto means = geomean_speedups(bests[i]);
    const auto& p = s.points[i];
    CHECK(p.evaluations == static_cast<int64_t>(i + 1));
    CHECK(p.t_ms == ev[i].t_ms);
    CHECK(p.geomean == Approx(means.over_all));
    CHECK(p.geomean_correct == Approx(means.over_correct));
    CHECK(p.fast_0 == Approx(fast_p(bests[i], 0)));
    CHECK(p.fast_1 == Approx(fast_p(bests[i], 1)));
    CHECK(p.fast_2 == Approx(fast_p(bests[i], 2)));
  }
  CHECK(s.points[2].geomean == Approx(std::cbrt(4.0 * 0.5)));
  CHECK(s.points[2].fast_1 == Approx(1.0 / 3));
  CHECK(s.points[2].fast_2 == Approx(1.0 / 3));
  CHECK(s.points[2].improved_tasks == 1);
  CHECK(runtime::compute_series({}, 3, 500).points.empty());
}

TEST_CASE("a long campaign is downsampled to at most the points asked, the last event kept",
          "[runtime][series]") {
  std::vector<series_event> ev;
  std::vector<double> bests(200, 0.0);
  for (size_t i = 0; i < 100000; ++i) {
    size_t t = i % 200;
    double s = 1.0 + static_cast<double>(i) / 100000.0;
    ev.push_back({static_cast<int64_t>(i), t, s, true});
    bests[t] = s;
  }
  for (size_t max : {2UL, 7UL, 500UL, 100000UL}) {
    INFO("max_points " << max);
    auto s = runtime::compute_series(ev, 200, max);
    CHECK(s.points.size() <= max);
    CHECK(s.points.size() >= std::min<size_t>(max, ev.size()) / 2);
    REQUIRE_FALSE(s.points.empty());
    CHECK(s.points.back().evaluations == 100000);
    CHECK(s.points.back().t_ms == 99999);
    // The incremental sums agree with a recomputation over the final bests.
    CHECK(s.points.back().geomean == Approx(geomean_speedups(bests).over_all).epsilon(1e-9));
    bool increasing = true;
    for (size_t i = 1; i < s.points.size(); ++i)
      increasing = increasing && s.points[i].evaluations > s.points[i - 1].evaluations;
    CHECK(increasing);
  }
  auto s = runtime::compute_series(ev, 200, 500);
  CHECK(s.points.size() == 500);
  CHECK(s.points.front().evaluations == 200);
  // A max below 2 still gives the first stretch and the last event.
  CHECK(runtime::compute_series(ev, 200, 0).points.size() == 2);
}

TEST_CASE("a running campaign stalls when no task improved for the configured time", "[runtime][series]") {
  const int64_t minute = 60000;
  auto s = runtime::stall_of(true, 10 * minute, 0, 45 * minute, 30);
  CHECK(s.stalled);
  CHECK(s.since_ms == 10 * minute);
  CHECK_FALSE(s.since_run_start);
  CHECK_FALSE(runtime::stall_of(true, 10 * minute, 0, 39 * minute, 30).stalled);
  CHECK_FALSE(runtime::stall_of(false, 10 * minute, 0, 45 * minute, 30).stalled);  // not running
  CHECK_FALSE(runtime::stall_of(true, 10 * minute, 0, 45 * minute, 0).stalled);    // turned off
  // A restart counts from the start of its run, not from an improvement days ago.
  auto r = runtime::stall_of(true, 10 * minute, 3000 * minute, 3010 * minute, 30);
  CHECK_FALSE(r.stalled);
  CHECK(r.since_ms == 3000 * minute);
  CHECK(r.since_run_start);
  CHECK(runtime::stall_of(true, 0, 3000 * minute, 3031 * minute, 30).stalled);
  CHECK_FALSE(runtime::stall_of(true, 0, 0, 3031 * minute, 30).stalled);  // nothing to count from
}
