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

TEST_CASE("the bandwidth for a working set is the smallest measured size that holds it", "[hardware]") {
  machine_peaks p;
  CHECK(p.gbps_for(10) == 0);
  p.bandwidth = {{1000, 100}, {100000, 20}};
  CHECK(p.gbps_for(500) == 100);
  CHECK(p.gbps_for(1000) == 100);
  CHECK(p.gbps_for(5000) == 20);
  CHECK(p.gbps_for(1e9) == 20);  // beyond the curve: the largest
  auto text = encode_bandwidth(p.bandwidth);
  auto back = decode_bandwidth(text);
  REQUIRE(back.size() == 2);
  CHECK(back[1].bytes == 100000);
  CHECK(back[1].gbps == 20);
  CHECK(decode_bandwidth("not json").empty());
  CHECK(decode_bandwidth("[[1]]").empty());
}

TEST_CASE("the perf probe answers with a reason either way", "[hardware]") {
  auto perf = probe_perf_counters();
  CHECK_FALSE(perf.reason.empty());
  if (!perf.readable)
    WARN("perf counters not readable here: " << perf.reason);
}
