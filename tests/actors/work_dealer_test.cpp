// Issue 16: the deal of jobs over pools that come and go.
#include "actors/verifier/work_dealer.hpp"

#include <catch2/catch.hpp>

using namespace kforge::actors;

TEST_CASE("The work dealer fills free slots, most free first, and holds work no pool can take",
          "[actors][verifier][workers]") {
  work_dealer d;
  for (int i = 0; i < 5; ++i)
    d.submit("t", "cpu");
  CHECK(d.deal().empty());  // no pool yet: everything waits
  CHECK(d.queued() == 5);
  auto a = d.add_pool("cpu", 1);
  auto b = d.add_pool("cpu", 3);
  auto dealt = d.deal();
  REQUIRE(dealt.size() == 4);
  // b has the most free slots until it is as full as a.
  CHECK(dealt[0].pool == b);
  CHECK(dealt[1].pool == b);
  CHECK(dealt[2].pool == a);  // a tie (one free each) goes to the earlier pool
  CHECK(dealt[3].pool == b);
  CHECK(dealt[0].first_of_task);
  CHECK_FALSE(dealt[1].first_of_task);  // b was sent the task's definition with its first job
  CHECK(dealt[2].first_of_task);        // a was not
  CHECK(d.queued() == 1);
  CHECK(d.in_flight() == 4);
  CHECK(d.deal().empty());  // every slot is taken
  CHECK(d.finish(dealt[2].attempt));
  auto next = d.deal();
  REQUIRE(next.size() == 1);
  CHECK(next[0].pool == a);
  CHECK(d.finished_by(a) == 1);
}

TEST_CASE("A pool that joins late gets queued work at its first deal", "[actors][verifier][workers]") {
  work_dealer d;
  auto slow = d.add_pool("null", 1);
  for (int i = 0; i < 3; ++i)
    d.submit("t", "cpu");
  auto first = d.deal();
  REQUIRE(first.size() == 1);
  CHECK(first[0].pool == slow);
  auto late = d.add_pool("null", 2);
  auto second = d.deal();
  REQUIRE(second.size() == 2);  // the slow pool still holds its one job; the rest go to the late one
  CHECK(second[0].pool == late);
  CHECK(second[1].pool == late);
  CHECK(d.queued() == 0);
}

TEST_CASE("Pools serve the backends of their device kind", "[actors][verifier][workers]") {
  CHECK(device_serves("cpu", "cpu"));
  CHECK_FALSE(device_serves("cpu", "cuda"));
  CHECK(device_serves("cuda:0", "cuda"));
  CHECK(device_serves("cuda:1", "kernelbench"));
  CHECK_FALSE(device_serves("cuda:0", "cpu"));
  CHECK(device_serves("null", "cpu"));
  CHECK(device_serves("null", "cuda"));
  work_dealer d;
  auto gpu_job = d.submit("g", "cuda");
  auto cpu_job = d.submit("c", "cpu");
  auto cpu = d.add_pool("cpu", 4);
  auto dealt = d.deal();
  REQUIRE(dealt.size() == 1);  // the CUDA job waits without holding back the CPU job behind it
  CHECK(dealt[0].job == cpu_job);
  CHECK(dealt[0].pool == cpu);
  auto gpu = d.add_pool("cuda:0", 1);
  dealt = d.deal();
  REQUIRE(dealt.size() == 1);
  CHECK(dealt[0].job == gpu_job);
  CHECK(dealt[0].pool == gpu);
}

TEST_CASE("A lost pool's jobs go back to the front of the queue and their late answers are stale",
          "[actors][verifier][workers]") {
  work_dealer d;
  auto a = d.add_pool("null", 2);
  auto j1 = d.submit("t", "cpu");
  auto j2 = d.submit("t", "cpu");
  auto j3 = d.submit("t", "cpu");
  auto dealt = d.deal();
  REQUIRE(dealt.size() == 2);
  CHECK(dealt[0].job == j1);
  CHECK(dealt[1].job == j2);
  auto requeued = d.lose(a);
  REQUIRE(requeued.size() == 2);
  CHECK(requeued[0] == j1);
  CHECK(requeued[1] == j2);
  CHECK(d.requeued() == 2);
  CHECK(d.queued() == 3);
  CHECK(d.pools() == 0);
  auto b = d.add_pool("null", 3);
  auto again = d.deal();
  REQUIRE(again.size() == 3);
  CHECK(again[0].job == j1);  // the lost jobs first, in their order, then the one that waited
  CHECK(again[1].job == j2);
  CHECK(again[2].job == j3);
  CHECK(again[0].pool == b);
  CHECK(again[0].first_of_task);  // a new pool is sent the definition again
  // The lost pool's answer for j1 arrives late: dropped, and j1's new attempt still counts.
  CHECK_FALSE(d.finish(dealt[0].attempt));
  CHECK(d.stale() == 1);
  CHECK(d.finish(again[0].attempt));
  CHECK_FALSE(d.finish(again[0].attempt));  // and only once
  CHECK(d.in_flight() == 2);
  CHECK(d.lose(a).empty());  // losing a pool twice changes nothing
}

TEST_CASE("A cancelled job leaves the queue or frees its slot", "[actors][verifier][workers]") {
  work_dealer d;
  auto p = d.add_pool("cpu", 1);
  auto j1 = d.submit("t", "cpu");
  auto j2 = d.submit("t", "cpu");
  auto dealt = d.deal();
  REQUIRE(dealt.size() == 1);
  d.cancel(j2);
  CHECK(d.queued() == 0);
  d.cancel(j1);
  CHECK(d.in_flight() == 0);
  CHECK_FALSE(d.finish(dealt[0].attempt));
  d.submit("t", "cpu");
  auto next = d.deal();
  REQUIRE(next.size() == 1);
  CHECK(next[0].pool == p);
}
