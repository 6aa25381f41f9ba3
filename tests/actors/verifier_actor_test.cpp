#include "actors/verifier/verifier_actor.hpp"
#include "hardware/tasks/task_loader.hpp"

#include "hardware/native/cpu_device.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;

namespace {

struct verifier_fixture : test::actor_fixture {
  test::temp_dir work{"verifier"};
  std::shared_ptr<kforge::task_map> tasks = std::make_shared<kforge::task_map>();
  verifier_actor verifier;
  kforge::task_def task;

  explicit verifier_fixture(bool verdict_cache = true) {
    auto loaded =
        hardware::load_task(std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/row_sum_256x2048.toml");
    REQUIRE(loaded);
    task = *loaded;
    (*tasks)[task.id] = task;
    hardware::cpu_backend_config bcfg;
    bcfg.work_dir = work.path();
    bcfg.min_runs = 3;
    bcfg.max_runs = 5;
    bcfg.target_ms = 5;
    verifier_config vcfg;
    vcfg.detached = false;  // the testing scheduler runs the workers too
    vcfg.verdict_cache = verdict_cache;
    verifier = spawn_verifier(sys, std::make_shared<hardware::cpu_device>(bcfg), tasks, vcfg);
  }

  ~verifier_fixture() {
    self->send(verifier, drain_atom_v);
    run();
  }

  verification verify_full(const std::string& source) {
    verification out;
    auto rh = self->request(verifier, caf::infinite, verify_atom_v, verify_request{task.id, "c", source});
    run();
    rh.receive([&](verification& v) { out = std::move(v); }, [](caf::error& err) { FAIL(describe(err)); });
    return out;
  }

  kforge::verdict verify(const std::string& source) { return verify_full(source).verdict; }

  verifier_stats stats() {
    verifier_stats out;
    auto sh = self->request(verifier, caf::infinite, stats_atom_v);
    run();
    sh.receive([&](verifier_stats& s) { out = s; }, [](caf::error& err) { FAIL(describe(err)); });
    return out;
  }
};

const char* correct = R"(
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    double s = 0;
    for (int c = 0; c < cols; ++c) s += x[r * cols + c];
    y[r] = static_cast<float>(s);
  }
}
)";

}  // namespace

TEST_CASE_METHOD(verifier_fixture, "the verifier pool prepares the reference, then compiles and runs",
                 "[actors]") {
  REQUIRE(task.signature.find("row_sum") != std::string::npos);
  auto rh = self->request(verifier, caf::infinite, reference_atom_v, task.id);
  run();
  rh.receive([](kforge::timing_stats& t) { CHECK(t.median_ns > 0); },
             [](caf::error& err) { FAIL(describe(err)); });

  auto ok = verify(correct);
  CHECK(ok.feasible);
  CHECK(ok.is_timed());
  CHECK(ok.device == "cpu");

  SECTION("a compile error comes back from the compile stage") {
    auto v = verify("void row_sum(const float* x, float* y, int rows, int cols) { oops }");
    CHECK(v.failed_gate == "compile");
  }
  SECTION("a forbidden call is stopped at the hack gate without compiling") {
    auto v = verify(std::string{"#include <cstdlib>\n"} + correct + "void f() { system(\"ls\"); }\n");
    CHECK(v.failed_gate == "hack");
    CHECK(v.compile_ms == 0);
  }
  SECTION("stats count the verdicts") {
    auto s = stats();
    CHECK(s.completed == 1);
    CHECK(s.queued == 0);
    CHECK(s.run_busy_ms > 0);
  }
}

TEST_CASE_METHOD(verifier_fixture, "a duplicate candidate is answered from the verdict cache", "[actors]") {
  auto first = verify_full(correct);
  REQUIRE(first.verdict.feasible);
  CHECK_FALSE(first.cached);
  CHECK(first.cache_key.size() == 64);
  auto again = verify_full(correct);
  CHECK(again.cached);
  CHECK(again.cache_key == first.cache_key);
  CHECK(again.verdict.timing.median_ns == first.verdict.timing.median_ns);
  auto s = stats();
  CHECK(s.cache_hits == 1);
  CHECK(s.completed == 2);
}

TEST_CASE_METHOD(verifier_fixture, "identical requests in flight share one evaluation", "[actors]") {
  auto a = self->request(verifier, caf::infinite, verify_atom_v, verify_request{task.id, "c1", correct});
  auto b = self->request(verifier, caf::infinite, verify_atom_v, verify_request{task.id, "c2", correct});
  run();
  a.receive([](verification& v) { CHECK(v.verdict.feasible); }, [](caf::error& err) { FAIL(describe(err)); });
  b.receive([](verification& v) { CHECK(v.verdict.feasible); }, [](caf::error& err) { FAIL(describe(err)); });
  auto s = stats();
  CHECK(s.coalesced == 1);
  CHECK(s.completed == 2);
}

TEST_CASE("a re-run from the compile cache reaches the run stage", "[actors]") {
  // Regression: a compile-cache hit queued a run that nothing started.
  verifier_fixture f{false};
  auto first = f.verify_full(correct);
  REQUIRE(first.verdict.feasible);
  auto second = f.verify_full(correct);
  CHECK(second.verdict.feasible);
  CHECK_FALSE(second.cached);
  CHECK(f.stats().compile_cache_hits == 1);
}

TEST_CASE_METHOD(verifier_fixture, "an unknown task is a bad request", "[actors]") {
  auto rh = self->request(verifier, caf::infinite, verify_atom_v, verify_request{"nope", "c", correct});
  run();
  rh.receive([](verification&) { FAIL("expected an error"); },
             [](caf::error& err) { CHECK(code_of(err) == errc::bad_request); });
}

// A pool shared by the daemon's campaigns learns the tasks of a campaign that starts later.
TEST_CASE_METHOD(verifier_fixture, "a pool verifies a later campaign's tasks once its catalog grows",
                 "[actors]") {
  auto other =
      hardware::load_task(std::string{KFORGE_SOURCE_DIR} + "/configs/tasks/cpu/row_sum_1000x600.toml");
  REQUIRE(other);
  auto before =
      self->request(verifier, caf::infinite, verify_atom_v, verify_request{other->id, "c", correct});
  run();
  before.receive([](verification&) { FAIL("expected an error"); },
                 [](caf::error& err) { CHECK(code_of(err) == errc::bad_request); });
  auto grown = std::make_shared<kforge::task_map>(*tasks);
  (*grown)[other->id] = *other;
  self->send(verifier, load_atom_v, std::shared_ptr<const kforge::task_map>{grown});
  auto after =
      self->request(verifier, caf::infinite, verify_atom_v, verify_request{other->id, "c2", correct});
  run();
  after.receive(
      [](verification& v) {
        CHECK(v.verdict.feasible);
        CHECK(v.verdict.timing.count > 0);
      },
      [](caf::error& err) { FAIL(describe(err)); });
  CHECK(verify(correct).feasible);  // the first task still verifies
}

TEST_CASE_METHOD(verifier_fixture, "a stopping task's candidates that have not started are withdrawn",
                 "[actors][withdraw]") {
  // Three candidates queue behind the task's reference; the task stops and takes back two.
  auto a = self->request(verifier, caf::infinite, verify_atom_v, verify_request{task.id, "c1", correct});
  auto b = self->request(verifier, caf::infinite, verify_atom_v,
                         verify_request{task.id, "c2", std::string{"// b\n"} + correct});
  auto c = self->request(verifier, caf::infinite, verify_atom_v,
                         verify_request{task.id, "c3", std::string{"// c\n"} + correct});
  self->send(verifier, stop_atom_v, task.id, std::set<std::string>{"c1", "c2", "not-queued"});
  run();
  int cancelled = 0;
  for (auto* h : {&a, &b})
    h->receive([](verification&) { FAIL("a withdrawn candidate was verified"); },
               [&](caf::error& err) {
                 CHECK(code_of(err) == errc::cancelled);
                 CHECK_THAT(describe(err), Catch::Contains("withdrawn"));
                 ++cancelled;
               });
  CHECK(cancelled == 2);
  c.receive([](verification& v) { CHECK(v.verdict.feasible); }, [](caf::error& err) { FAIL(describe(err)); });
  auto s = stats();
  CHECK(s.completed == 1);
  CHECK(s.queued == 0);
}

TEST_CASE_METHOD(verifier_fixture, "a withdrawal names only its own task's candidates",
                 "[actors][withdraw]") {
  auto a = self->request(verifier, caf::infinite, verify_atom_v, verify_request{task.id, "c1", correct});
  self->send(verifier, stop_atom_v, std::string{"another_task"}, std::set<std::string>{"c1"});
  run();
  a.receive([](verification& v) { CHECK(v.verdict.feasible); }, [](caf::error& err) { FAIL(describe(err)); });
}
