#include "hardware/null/null_device.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace kforge;
using namespace kforge::hardware;

TEST_CASE("the null device answers at once with verdicts derived from the source", "[hardware][null]") {
  null_device dev;
  task_def task;
  task.id = "gemm_g0001";
  task.flops = 2e6;
  task.bytes = 1e5;
  auto ref = dev.prepare(task);
  REQUIRE(ref);
  CHECK(ref->median_ns == Approx(1e5 * 2.1));
  CHECK(dev.device() == "null");
  int failed = 0;
  std::set<std::string> hashes;
  for (int i = 0; i < 1000; ++i) {
    auto source = "void gemm() { /* " + std::to_string(i) + " */ }";
    CHECK(dev.hack_check(task, source).passed);
    auto built = dev.compile(task, source, "c" + std::to_string(i));
    REQUIRE(built);
    REQUIRE(built->ok);
    hashes.insert(built->object_hash);
    auto v = dev.run(task, *built);
    REQUIRE(v);
    auto again = dev.run(task, *dev.compile(task, source, "other"));
    REQUIRE(again);
    CHECK(again->feasible == v->feasible);
    CHECK(again->timing.median_ns == v->timing.median_ns);
    if (!v->feasible) {
      CHECK(v->failed_gate == gate_correctness);
      ++failed;
      continue;
    }
    CHECK(v->is_timed());
    CHECK(v->timing.median_ns >= 0.5 * ref->median_ns);
    CHECK(v->timing.median_ns < 2.0 * ref->median_ns);
  }
  CHECK(hashes.size() == 1000);
  CHECK(failed > 50);
  CHECK(failed < 150);
}

TEST_CASE("only a null device that sleeps blocks its thread", "[hardware][null]") {
  // The verifier gives the workers of a backend that never blocks no threads of their own; a
  // sleeping device on a scheduler thread would stall the campaign's other actors.
  CHECK_FALSE(kforge::hardware::null_device{}.blocks());
  CHECK(kforge::hardware::null_device{std::chrono::milliseconds{5}}.blocks());
}
