// kforge-bench-codec: the cost of a store value, JSON against the compact form (schema 2), for
// the records a campaign writes on every evaluation, in the shapes a CPU campaign writes them.
// Prints Markdown: microseconds per encode and decode, median [min-max] over the repeats, bytes
// per value, and compact over JSON as ratios measured in the same run.
//   kforge-bench-codec [--count N] [--repeats R]
#include "memory/codec.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace kforge::memory;

candidate_record sample_candidate() {
  candidate_record c;
  c.hash = std::string(64, 'a');
  c.campaign = "cpu-600";
  c.task_id = "gemm_128x128x64_g0042";
  c.seq = 17;
  for (int line = 0; c.source.size() < 4096; ++line)
    c.source +=
        "  for (int i = 0; i < n; i += KF_LANES) { acc" + std::to_string(line % 8) + " += a[i] * b[i]; }\n";
  c.parents = {std::string(64, 'b')};
  c.stage = "refine";
  c.policy = "offline";
  c.context_ids = {"seed/gemm/1", "opt/gemm/2", "traj/gemm/3", "insight/gemm/4", "opt/gemm/5", "seed/gemm/6"};
  c.knobs = {{"KERNEL", 2}, {"MR", 6}, {"NV", 3}, {"UNROLL_K", 4}};
  c.optimization = "MR 4->6";
  c.verdict.feasible = true;
  for (const char* g : {"hack", "compile", "correctness", "latency", "speedup"})
    c.verdict.gates.push_back({g, true, ""});
  c.verdict.timing = {13612.5, 13001.0, 13700.25, 210.5, 41, 120.0, true, false};
  c.verdict.device = "cpu";
  c.verdict.reference_ns = 477800.0;
  c.speedup_vs_ref = 35.1;
  c.speedup_vs_parent = 1.12;
  c.reward = 0.31;
  c.perf_state = "gemm|compute|eff3|roofline";
  c.device = "cpu";
  c.created_ms = 1796000000000;
  return c;
}

memory_item sample_item() {
  memory_item m;
  m.id = "opt/" + std::string(40, 'c');
  m.kind = "optimization";
  m.family = "gemm";
  m.state = "gemm|compute|eff3|roofline";
  m.tags = {"refine", "gemm_128x128x64_g0042"};
  m.text = "gemm: set MR=6 NV=3 gave 1.12x over the parent (15.2 us -> 13.6 us)";
  m.payload = R"({"changes":[{"knob":"MR","value":6},{"knob":"NV","value":3}],"speedup_vs_parent":1.12})";
  m.q1 = 0.2;
  m.q2 = 0.31;
  m.visits2 = 4;
  m.source_tasks = {"gemm_128x128x64_g0042", "gemm_100x240x72_g0007"};
  m.created_ms = m.updated_ms = 1796000000000;
  m.samples = 4;
  m.mean_speedup = 1.08;
  m.feasible_samples = 4;
  return m;
}

task_record sample_task() {
  task_record t;
  t.campaign = "cpu-600";
  t.task_id = "gemm_128x128x64_g0042";
  t.definition_hash = std::string(64, 'd');
  t.family = "gemm";
  t.backend = "cpu";
  t.phase = "refine";
  t.best_hash = std::string(64, 'a');
  t.best_latency_ns = 13612.5;
  t.reference_latency_ns = 477800.0;
  t.evaluations = 17;
  t.feasible = 15;
  t.step = 9;
  return t;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

struct figures {
  std::vector<double> encode_us, decode_us;
  std::size_t bytes = 0;
};

template <class Record, class Encode>
void measure(const Record& rec, table t, Encode&& encode_with, int count, figures& out) {
  std::string value;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i)
    value = encode_with(rec);
  auto t1 = std::chrono::steady_clock::now();
  Record back;
  for (int i = 0; i < count; ++i) {
    back = Record{};
    if (decode(value, t, "k", back)) {
      std::fprintf(stderr, "decode failed\n");
      std::exit(1);
    }
  }
  auto t2 = std::chrono::steady_clock::now();
  if (*encode(back) != *encode(rec)) {  // what was read is what was written
    std::fprintf(stderr, "a record changed on its way through the store's form\n");
    std::exit(1);
  }
  auto us = [&](auto a, auto b) { return std::chrono::duration<double, std::micro>(b - a).count() / count; };
  out.encode_us.push_back(us(t0, t1));
  out.decode_us.push_back(us(t1, t2));
  out.bytes = value.size();
}

std::string spread(const std::vector<double>& xs) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.2f [%.2f-%.2f]", median(xs), *std::min_element(xs.begin(), xs.end()),
                *std::max_element(xs.begin(), xs.end()));
  return buf;
}

template <class Record>
void row(const char* name, const Record& rec, table t, int count, int repeats) {
  figures json, compact;
  for (int r = 0; r < repeats; ++r) {  // interleaved per repeat
    measure(
        rec, t, [](const Record& x) { return *encode_json(x); }, count, json);
    measure(
        rec, t, [](const Record& x) { return *encode(x); }, count, compact);
  }
  std::printf("| %s | %s | %s | %zu | %s | %s | %zu | %.1fx | %.1fx |\n", name,
              spread(json.encode_us).c_str(), spread(json.decode_us).c_str(), json.bytes,
              spread(compact.encode_us).c_str(), spread(compact.decode_us).c_str(), compact.bytes,
              median(json.encode_us) / median(compact.encode_us),
              median(json.decode_us) / median(compact.decode_us));
}

}  // namespace

int main(int argc, char** argv) {
  int count = 20000;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--count") == 0)
      count = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--repeats") == 0)
      repeats = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: kforge-bench-codec [--count N] [--repeats R]\n");
      return 2;
    }
  }
  std::printf(
      "%d values a measurement, %d repeats, JSON and compact interleaved; us per value, median [min-max]\n\n",
      count, repeats);
  std::printf(
      "| record | JSON encode | JSON decode | JSON bytes | compact encode | compact decode | compact bytes | "
      "encode ratio | decode ratio |\n|---|---|---|---|---|---|---|---|---|\n");
  row("candidate (4 KB source)", sample_candidate(), table::candidates, count, repeats);
  row("memory item", sample_item(), table::memory, count, repeats);
  row("task", sample_task(), table::tasks, count, repeats);
  return 0;
}
