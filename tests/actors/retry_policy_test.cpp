#include "actors/task/retry_policy.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;
using std::chrono::milliseconds;

TEST_CASE("the wait after queue_full doubles from the first wait up to the cap", "[actors]") {
  queue_backoff b{milliseconds{200}};
  CHECK(b.current() == milliseconds{0});
  CHECK(b.next() == milliseconds{200});
  CHECK(b.next() == milliseconds{400});
  CHECK(b.next() == milliseconds{800});
  CHECK(b.next() == milliseconds{1600});
  CHECK(b.next() == milliseconds{3200});
  CHECK(b.next() == milliseconds{5000});
  CHECK(b.next() == milliseconds{5000});

  SECTION("a verdict starts the back-off over") {
    b.reset();
    CHECK(b.current() == milliseconds{0});
    CHECK(b.next() == milliseconds{200});
  }
  SECTION("a first wait above the cap is capped") {
    queue_backoff big{milliseconds{9000}};
    CHECK(big.next() == milliseconds{5000});
    CHECK(big.next() == milliseconds{5000});
  }
}

TEST_CASE("a failed policy is asked again a bounded number of times, four times longer each", "[actors]") {
  reask_policy p{3, milliseconds{200}};
  auto d = p.on_failure(errc::llm_failed);
  CHECK(d.ask_again);
  CHECK(d.wait == milliseconds{200});
  d = p.on_failure(errc::llm_failed);
  CHECK(d.ask_again);
  CHECK(d.wait == milliseconds{800});
  d = p.on_failure(errc::llm_failed);
  CHECK(d.ask_again);
  CHECK(d.wait == milliseconds{3200});
  CHECK(p.failures() == 3);

  SECTION("the re-asks spent, the task records that the policy failed") {
    d = p.on_failure(errc::llm_failed);
    CHECK_FALSE(d.ask_again);
    CHECK(d.stop_reason == "policy failed");
    CHECK(d.is_failure);
  }
  SECTION("an answer in between gives the task its re-asks back") {
    p.on_success();
    CHECK(p.failures() == 0);
    d = p.on_failure(errc::llm_failed);
    CHECK(d.ask_again);
    CHECK(d.wait == milliseconds{200});
  }
}

TEST_CASE("a spent LLM budget ends the task at once and is no failure", "[actors]") {
  reask_policy p{3, milliseconds{200}};
  auto d = p.on_failure(errc::budget_exhausted);
  CHECK_FALSE(d.ask_again);
  CHECK(d.stop_reason == "LLM budget spent");
  CHECK_FALSE(d.is_failure);
  CHECK(p.failures() == 0);
}

TEST_CASE("a policy error other than llm_failed is not asked again", "[actors]") {
  reask_policy p{3, milliseconds{200}};
  auto d = p.on_failure(errc::bad_request);
  CHECK_FALSE(d.ask_again);
  CHECK(d.stop_reason == "policy failed");
  CHECK(d.is_failure);

  SECTION("nor is anything with no re-asks configured") {
    reask_policy none{0, milliseconds{200}};
    CHECK_FALSE(none.on_failure(errc::llm_failed).ask_again);
  }
}

TEST_CASE("the exponent of the re-ask wait is capped", "[actors]") {
  reask_policy p{20, milliseconds{1}};
  milliseconds last{0};
  for (int i = 0; i < 20; ++i)
    last = p.on_failure(errc::llm_failed).wait;
  CHECK(last == milliseconds{int64_t{1} << 16});
}

TEST_CASE("only a missing reference or a rejected request stops the task", "[actors]") {
  CHECK(stops_task(errc::reference_failed));
  CHECK(stops_task(errc::bad_request));
  CHECK_FALSE(stops_task(errc::sandbox_failed));
  CHECK_FALSE(stops_task(errc::cancelled));
  CHECK_FALSE(stops_task(errc::io_failed));
}
