#include "actors/task/step_rules.hpp"

#include "runtime/base/scoring.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace kforge;
using namespace kforge::actors;

namespace {

memory::candidate_record candidate(const std::string& hash, const std::string& stage, const verdict& v) {
  memory::candidate_record c;
  c.hash = hash;
  c.stage = stage;
  c.verdict = v;
  return c;
}

}  // namespace

TEST_CASE("draft rewards are +1 for feasible and -1 otherwise", "[actors]") {
  CHECK(draft_reward(test::timed_verdict(100), 0.0) == 1.0);
  CHECK(draft_reward(test::failed("compile"), 0.0) == -1.0);
  CHECK(draft_reward(test::failed("correctness"), 0.0) == -1.0);
  SECTION("partial credit for compiled-but-wrong is an option") {
    CHECK(draft_reward(test::failed("correctness"), 0.25) == 0.25);
    CHECK(draft_reward(test::failed("compile"), 0.25) == -1.0);
  }
}

TEST_CASE("refine rewards follow tanh of the log latency ratio to the best", "[actors]") {
  auto best = latency_of(100, 0);
  CHECK(refine_raw_reward(test::failed("correctness"), best, 0) == -1.0);
  CHECK(refine_raw_reward(test::timed_verdict(50), best, 0) == Approx(std::tanh(std::log(2.0))));
  CHECK(refine_raw_reward(test::timed_verdict(200), best, 0) == Approx(-std::tanh(std::log(2.0))));
  CHECK(refine_raw_reward(test::timed_verdict(200), timing_stats{}, 0) == 1.0);
}

TEST_CASE("a refine reward counts only the gain beyond the noise", "[actors]") {
  auto best = latency_of(100, 1);
  // 5 % faster under a 10 % noise floor: indistinguishable, reward 0 (not a win).
  CHECK(refine_raw_reward(test::timed_verdict(95), best, 0.10) == 0.0);
  CHECK(refine_raw_reward(test::timed_verdict(105), best, 0.10) == 0.0);
  // 2x is beyond it and keeps its full value.
  CHECK(refine_raw_reward(test::timed_verdict(50), best, 0.10) == Approx(std::tanh(std::log(2.0))));
}

TEST_CASE("a new best must beat the old one by more than the noise", "[actors]") {
  memory::task_record task;
  task.reference_latency_ns = 1000;
  step_config cfg;
  cfg.evaluations = 100;
  cfg.noise = 0.10;
  auto feed = [&](const std::string& hash, double median_ns, double ci_ns) {
    memory::candidate_record c;
    c.hash = hash;
    c.stage = task.best_hash.empty() ? "draft" : "refine";
    c.verdict = test::timed_verdict(median_ns);
    c.verdict.timing.ci_half_ns = ci_ns;
    apply_verdict(task, c, cfg);
    return c;
  };
  feed("a", 100, 1);
  REQUIRE(task.best_hash == "a");
  CHECK(task.best_ci_ns == 1);
  // Three candidates of identical code timed 79 / 66 / 64 us would all be "improvements" by the
  // median alone; within a 10 % noise floor none of these is.
  feed("b", 93, 1);
  CHECK(task.best_hash == "a");
  CHECK(task.since_improvement == 1);
  // Beyond the noise floor but inside the candidates' own wide CIs: still no.
  feed("c", 85, 10);
  CHECK(task.best_hash == "a");
  // Clearly faster: a new best, with its CI recorded.
  auto d = feed("d", 70, 1);
  CHECK(task.best_hash == "d");
  CHECK(task.best_latency_ns == 70);
  CHECK(d.reward > -1.0);
}

TEST_CASE("a suspect verdict changes no best and earns no reward", "[actors]") {
  memory::task_record task;
  task.reference_latency_ns = 1000;
  step_config cfg;
  auto c = candidate("x", "draft", suspect_verdict(test::timed_verdict(10), "did not hold"));
  apply_verdict(task, c, cfg);
  CHECK(c.verdict.is_suspect());
  CHECK_FALSE(c.verdict.is_timed());
  CHECK(task.best_hash.empty());
  CHECK(task.phase == "draft");
  CHECK(c.reward == 0.0);
  CHECK(c.speedup_vs_ref == 0.0);
}

TEST_CASE("a candidate's speedup is over the reference timed by the pool that timed it", "[actors]") {
  // A task first timed on one device and verified on a worker of another: the worker's verdict
  // carries its own reference median, and the speedup is over that one.
  memory::task_record task;
  task.reference_latency_ns = 1000;
  step_config cfg;
  auto c = candidate("w", "draft", test::timed_verdict(200));
  c.verdict.reference_ns = 400;
  apply_verdict(task, c, cfg);
  CHECK(c.speedup_vs_ref == Approx(2.0));
  SECTION("a verdict without a reference median falls back to the task's") {
    auto local = candidate("l", "refine", test::timed_verdict(200));
    local.verdict.reference_ns = 0;
    apply_verdict(task, local, cfg);
    CHECK(local.speedup_vs_ref == Approx(5.0));
  }
}

TEST_CASE("refine rewards are normalised by the task's running statistics", "[actors]") {
  memory::task_record task;
  CHECK(normalise_refine_reward(0.5, true, task, 0.05) == Approx(0.5));  // first sample: raw
  CHECK(task.reward_count == 1);
  double second = normalise_refine_reward(-0.5, true, task, 0.05);
  CHECK(second < 0);
  CHECK(second >= -1.0);
  CHECK(task.reward_count == 2);
  CHECK(task.reward_mean == Approx(0.0));
  SECTION("an infeasible candidate is -1 and leaves the statistics alone") {
    CHECK(normalise_refine_reward(0.9, false, task, 0.05) == -1.0);
    CHECK(task.reward_count == 2);
  }
}

TEST_CASE("a task moves from draft to refine on its first timed candidate and stops on plateau or budget",
          "[actors]") {
  step_config cfg;
  cfg.evaluations = 6;
  cfg.plateau = 2;
  memory::task_record task;
  task.reference_latency_ns = 1000;

  memory::candidate_record c;
  c.stage = "draft";
  c.hash = "a";
  c.verdict = test::failed("correctness");
  CHECK(apply_verdict(task, c, cfg) == -1.0);
  CHECK(task.phase == "draft");
  CHECK(task.evaluations == 1);

  c.hash = "b";
  c.verdict = test::timed_verdict(500);
  CHECK(apply_verdict(task, c, cfg) == 1.0);
  CHECK(task.phase == "refine");
  CHECK(task.best_hash == "b");
  CHECK(c.speedup_vs_ref == Approx(2.0));

  c.stage = "refine";
  c.hash = "c";
  c.verdict = test::timed_verdict(400);
  CHECK(apply_verdict(task, c, cfg) > 0);
  CHECK(task.best_hash == "c");
  CHECK(task.since_improvement == 0);

  c.hash = "d";
  c.verdict = test::timed_verdict(450);
  apply_verdict(task, c, cfg);
  CHECK(task.phase == "refine");
  c.hash = "e";
  c.verdict = test::failed("compile");
  apply_verdict(task, c, cfg);
  CHECK(task.phase == "done");
  CHECK(task.stop_reason == "plateau");
  CHECK(task.best_latency_ns == 400);

  SECTION("the budget ends a task that is still drafting") {
    memory::task_record t2;
    step_config tight;
    tight.evaluations = 1;
    memory::candidate_record d;
    d.stage = "draft";
    d.verdict = test::failed("compile");
    apply_verdict(t2, d, tight);
    CHECK(t2.phase == "done");
    CHECK(t2.stop_reason == "budget");
  }
}

TEST_CASE("the performance state derives bound and efficiency from the measured roofline", "[actors]") {
  auto task = test::knob_task();
  roofline_config roof;
  roof.gflops = 100;
  // A bandwidth curve: 40 GB/s measured at 1 MB, 20 GB/s at 64 MB.
  roof.bandwidth = {{1e6, 40}, {64e6, 20}};
  roof.latency_floor_ns = 2000;
  roof.buckets = {0.05, 0.1, 0.2, 0.35, 0.5, 0.7};
  SECTION("memory-bound: the large working set uses the DRAM point of the curve") {
    task.flops = 1e6;
    task.bytes = 64e6;  // roofline: 64e6 / 20 = 3.2e6 ns against 1e6 / 100 = 10000 ns
    CHECK(perf_state(task, 6.4e6, roof) == "fam|memory|eff5|roofline");  // 50 %
    CHECK(perf_state(task, 64e6, roof) == "fam|memory|eff1|roofline");   // 5 %
  }
  SECTION("between two points, the smaller working set's bandwidth: a roof, never too low") {
    task.flops = 1e6;
    task.bytes = 4e6;  // 4e6 / 40 = 1e5 ns (the 64 MB point would say 2e5 and let kernels pass 100 %)
    CHECK(perf_state(task, 2e5, roof) == "fam|memory|eff5|roofline");  // 50 %
  }
  SECTION("a small working set uses the cache point") {
    task.flops = 1e3;
    task.bytes = 8e5;  // 8e5 / 40 = 20000 ns
    CHECK(perf_state(task, 20000, roof) == "fam|memory|eff6|roofline");
  }
  SECTION("compute-bound when the FLOP roof is the slower one") {
    task.flops = 1e9;  // 1e7 ns against 4e6 / 40 = 1e5 ns
    task.bytes = 4e6;
    CHECK(perf_state(task, 1e8, roof) == "fam|compute|eff2|roofline");  // 10 % -> two edges
  }
  SECTION("latency-bound when the roofline time is below the floor") {
    task.flops = 1e3;
    task.bytes = 4e3;  // 100 ns
    roof.source = "roofline+perf";
    CHECK(perf_state(task, 5000, roof) == "fam|latency|eff0|roofline+perf");
  }
  SECTION("unknown without a latency or peaks") {
    CHECK(perf_state(task, 0, roof) == "fam|unknown");
    roof.bandwidth.clear();
    CHECK(perf_state(task, 1000, roof) == "fam|unknown");
  }
}

TEST_CASE("feedback lines carry the measured numbers and gate messages whole within the budget", "[actors]") {
  memory::candidate_record c;
  c.optimization = "Four AVX2 accumulators";
  c.verdict = test::timed_verdict(12345);
  c.speedup_vs_ref = 2.1;
  c.speedup_vs_parent = 1.3;
  CHECK(feedback_line(c, 2000) ==
        "Four AVX2 accumulators: passed every gate, 12.345 us, 2.10x the reference, 1.30x the parent");

  std::string message;
  for (int i = 0; i < 10; ++i)
    message += "k.cpp:" + std::to_string(i + 1) + ":5: error: 'foo" + std::to_string(i) +
               "' was not declared in this scope\n";
  c.verdict = test::failed("compile");
  c.verdict.gates[0].detail = message;
  SECTION("whole when it fits: far past the old 160 characters") {
    REQUIRE(message.size() > 400);
    auto line = feedback_line(c, 2000);
    CHECK(line == "Four AVX2 accumulators: failed the compile gate (" + message + ")");
  }
  SECTION("cut at a line end past the budget, saying how much is left out") {
    auto line = feedback_line(c, 300);
    INFO(line);
    CHECK(line.size() <= 300);
    CHECK(line.find("k.cpp:1:5: error: 'foo0' was not declared in this scope\n") != std::string::npos);
    CHECK(line.find("k.cpp:10:5") == std::string::npos);
    auto marker = line.find("\n[... ");
    REQUIRE(marker != std::string::npos);
    CHECK(line[marker - 1] == 'e');  // "... scope" ends the last whole line kept
    auto left = std::stoul(line.substr(marker + 6));
    CHECK(line.substr(0, marker).size() + left ==
          std::string{"Four AVX2 accumulators: failed the compile gate ("}.size() + message.size());
  }
}

TEST_CASE("a task's history keeps no source but its best's, and finds a refine's parent", "[actors]") {
  committed_history history;
  std::vector<memory::candidate_record> committed(4);
  for (size_t i = 0; i < committed.size(); ++i) {
    committed[i].hash = i == 2 || i == 3 ? "p" : "x" + std::to_string(i);
    committed[i].source = "kernel " + std::to_string(i);
    committed[i].perf_state = i == 3 ? "newest" : "state " + std::to_string(i);
  }
  for (auto& c : committed) {
    history.add(c, "x1");
    CHECK(c.source.find("kernel ") == 0);  // the caller's record keeps its source
  }
  CHECK(history.size() == 4);
  REQUIRE(history.best("x1") != nullptr);
  CHECK(history.best("x1")->source == "kernel 1");
  CHECK(history.best("x0") == nullptr);
  CHECK(history.best("") == nullptr);
  memory::candidate_record child;
  child.parents = {"p"};
  auto parent = history.parent_of(child);
  REQUIRE(parent);
  CHECK(parent->hash == "p");
  CHECK(parent->perf_state == "newest");
  CHECK(parent->source.empty());
  child.parents = {"unknown"};
  CHECK_FALSE(history.parent_of(child));
  child.parents.clear();
  CHECK_FALSE(history.parent_of(child));
  // A later best replaces the earlier one.
  memory::candidate_record faster;
  faster.hash = "f";
  faster.source = "faster kernel";
  history.add(faster, "f");
  REQUIRE(history.best("f") != nullptr);
  CHECK(history.best("f")->source == "faster kernel");
  CHECK(history.best("x1") == nullptr);
}
