#include "hardware/host/machine_peaks.hpp"
#include "hardware/host/perf_probe.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::hardware;

TEST_CASE("the peak micro-benchmarks measure a bandwidth curve and an FMA peak quickly", "[hardware]") {
  peak_options opts;
  opts.working_sets_kib = {2048, 64};  // unsorted on purpose
  opts.min_ms_per_size = 5;
  opts.fma_ms = 10;
  auto peaks = measure_peaks(opts);
  REQUIRE(peaks);
  CHECK(peaks->source == "measured");
  CHECK(peaks->signature == machine_signature());
  CHECK_FALSE(peaks->isa.empty());
  CHECK(peaks->gflops > 0.5);      // even a scalar core does better than this
  CHECK(peaks->gflops < 10000.0);  // one core
  REQUIRE(peaks->bandwidth.size() == 2);
  CHECK(peaks->bandwidth[0].bytes == 64 * 1024.0);
  CHECK(peaks->bandwidth[0].gbps > 0.1);
  CHECK(peaks->measure_ms < 5000);
}

TEST_CASE("a working set's roof is the measured point at or below it, never below a larger set's",
          "[hardware]") {
  machine_peaks p;
  CHECK(p.gbps_for(10) == 0);
  p.bandwidth = {{1000, 100}, {100000, 20}};
  CHECK(p.gbps_for(500) == 100);  // below the curve: its first point
  CHECK(p.gbps_for(1000) == 100);
  CHECK(p.gbps_for(5000) == 100);  // between two points: the smaller set's (faster) bandwidth
  CHECK(p.gbps_for(100000) == 20);
  CHECK(p.gbps_for(1e9) == 20);  // beyond the curve: the largest
  // A noisy dip: the 10 KB point measured slower than the 100 KB one. The roof at 10 KB is not
  // below the larger set's.
  machine_peaks dip;
  dip.bandwidth = {{1000, 100}, {10000, 30}, {100000, 40}};
  CHECK(dip.gbps_for(20000) == 40);
  CHECK(dip.gbps_for(200000) == 40);
  auto text = encode_bandwidth(p.bandwidth);
  auto back = decode_bandwidth(text);
  REQUIRE(back.size() == 2);
  CHECK(back[1].bytes == 100000);
  CHECK(back[1].gbps == 20);
  CHECK(decode_bandwidth("not json").empty());
  CHECK(decode_bandwidth("[[1]]").empty());
}

TEST_CASE("the default curve spans 16 KiB to 128 MiB with two points per doubling", "[hardware]") {
  auto sets = default_working_sets_kib();
  REQUIRE(sets.size() == 27);
  CHECK(sets.front() == 16);
  CHECK(sets[1] == 24);
  CHECK(sets.back() == 128 * 1024);
  for (std::size_t i = 1; i < sets.size(); ++i)
    CHECK(sets[i] / sets[i - 1] <= 1.5);
}

TEST_CASE("the perf probe answers with a reason either way", "[hardware]") {
  auto perf = probe_perf_counters();
  CHECK_FALSE(perf.reason.empty());
  if (!perf.readable)
    WARN("perf counters not readable here: " << perf.reason);
}
