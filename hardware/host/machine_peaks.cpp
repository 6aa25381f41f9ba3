#include "hardware/host/machine_peaks.hpp"

#include "runtime/base/error.hpp"

#include <nlohmann/json.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <thread>

namespace kforge::hardware {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// One triad pass a = b + s * c. Cloned per ISA so that cache-resident working sets
// are not limited by narrow vectors (candidates are built with -march=native).
// Not under ThreadSanitizer: the clones' ifunc resolver runs during relocation, before the
// TSan runtime is up, and crashes every program at start (seen: SIGSEGV in triad.resolver).
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void triad(double* __restrict a, const double* __restrict b, const double* __restrict c, std::size_t n,
           double s) {
  for (std::size_t i = 0; i < n; ++i)
    a[i] = b[i] + s * c[i];
}

// One read-only pass: the sum of b. Kernels that only read (row sums, reductions, the reads of a
// gemv) stream faster than a triad, which also writes and write-allocates; the roof at a working
// set is the better of the two. Eight independent vector accumulators, so that the sum is bound by
// the loads, not by the adds' latency.
using v8d = double __attribute__((vector_size(64)));
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double
read_sum(const double* __restrict b, std::size_t n) {
  v8d acc[8] = {};
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int k = 0; k < 8; ++k) {
      v8d x;
      std::memcpy(&x, b + i + 8 * k, sizeof(x));
      acc[k] += x;
    }
  double total = 0;
  for (int k = 0; k < 8; ++k)
    for (int l = 0; l < 8; ++l)
      total += acc[k][l];
  for (; i < n; ++i)
    total += b[i];
  return total;
}

struct free_deleter {
  void operator()(double* p) const noexcept { std::free(p); }
};
using buffer = std::unique_ptr<double, free_deleter>;

buffer allocate(std::size_t n) {
  void* p = nullptr;
  if (posix_memalign(&p, 64, n * sizeof(double)) != 0)
    return buffer{};
  return buffer{static_cast<double*>(p)};
}

// Best bandwidth of repeated triads over a working set of `bytes` (three arrays).
double triad_gbps(double* a, double* b, double* c, double bytes, double min_ms) {
  auto n = static_cast<std::size_t>(bytes / (3 * sizeof(double)));
  n = std::max<std::size_t>(n, 64);
  triad(a, b, c, n, 1.5);  // warm up (page faults, caches)
  double best_ns = 1e300;
  auto t_start = clock_type::now();
  int reps = 0;
  while (reps < 3 || ms_since(t_start) < min_ms) {
    auto t0 = clock_type::now();
    triad(a, b, c, n, 1.5 + reps * 1e-9);
    double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    best_ns = std::min(best_ns, ns);
    ++reps;
    if (reps > 100000)
      break;
  }
  volatile double sink = a[n / 2];
  (void)sink;
  return static_cast<double>(3 * sizeof(double) * n) / best_ns;
}

// Best bandwidth of repeated read-only passes over `bytes` of b.
double read_gbps(const double* b, double bytes, double min_ms) {
  auto n = static_cast<std::size_t>(bytes / sizeof(double));
  n = std::max<std::size_t>(n, 64);
  volatile double sink = read_sum(b, n);  // warm up
  double best_ns = 1e300;
  auto t_start = clock_type::now();
  int reps = 0;
  while (reps < 3 || ms_since(t_start) < min_ms) {
    auto t0 = clock_type::now();
    sink = sink + read_sum(b, n);
    double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    best_ns = std::min(best_ns, ns);
    ++reps;
    if (reps > 100000)
      break;
  }
  return static_cast<double>(sizeof(double) * n) / best_ns;
}

#if defined(__x86_64__)
// 12 independent FMA chains hide the FMA latency; returns FLOPs done.
__attribute__((target("avx512f"))) double fma_avx512(int64_t iters, float* out) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm512_set1_ps(static_cast<float>(i) * 0.001f);
  const __m512 m = _mm512_set1_ps(0.999999f);
  const __m512 add = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], m, add);
  __m512 sum = acc[0];
  for (int i = 1; i < 12; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float x : lanes)
    total += x;
  *out = total;
  return 2.0 * 16 * 12 * static_cast<double>(iters);
}

__attribute__((target("avx2,fma"))) double fma_avx2(int64_t iters, float* out) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm256_set1_ps(static_cast<float>(i) * 0.001f);
  const __m256 m = _mm256_set1_ps(0.999999f);
  const __m256 add = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], m, add);
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i)
    sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float x : lanes)
    total += x;
  *out = total;
  return 2.0 * 8 * 12 * static_cast<double>(iters);
}
#endif

double fma_scalar(int64_t iters, float* out) {
  float acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = static_cast<float>(i) * 0.001f;
  for (int64_t it = 0; it < iters; ++it)
    for (float& a : acc)
      a = std::fma(a, 0.999999f, 1e-7f);
  float total = 0;
  for (float a : acc)
    total += a;
  *out = total;
  return 2.0 * 12 * static_cast<double>(iters);
}

using fma_kernel = double (*)(int64_t, float*);

fma_kernel pick_fma(std::string& isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    isa = "avx512f";
    return fma_avx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    isa = "avx2+fma";
    return fma_avx2;
  }
#endif
  isa = "scalar";
  return fma_scalar;
}

double measure_gflops(double target_ms, std::string& isa) {
  auto kernel = pick_fma(isa);
  float sink = 0;
  int64_t iters = 1 << 14;
  // Grow the iteration count until one run takes a measurable time, then keep the best of several.
  for (;;) {
    auto t0 = clock_type::now();
    kernel(iters, &sink);
    if (ms_since(t0) > target_ms / 10 || iters > (int64_t{1} << 40))
      break;
    iters *= 2;
  }
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = clock_type::now();
    double flops = kernel(iters, &sink);
    double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    best = std::max(best, flops / ns);
  }
  volatile float keep = sink;
  (void)keep;
  return best;
}

std::string cpuinfo_field(const std::string& key) {
  std::ifstream in{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(std::min(line.size(), colon + 2));
    }
  }
  return {};
}

}  // namespace

double machine_peaks::gbps_for(double bytes) const noexcept {
  if (bandwidth.empty())
    return 0;
  // The largest measured working set that `bytes` does not undercut: bandwidth falls as the
  // working set grows, so this is an upper bound (a roof), never below what the kernel can reach.
  // Below the curve, its first point. The best of that point and every larger one's, so that a
  // noisy dip never makes a larger set's roof higher than a smaller one's.
  std::size_t at = 0;
  for (std::size_t i = 0; i < bandwidth.size(); ++i)
    if (bandwidth[i].bytes <= bytes)
      at = i;
  double roof = 0;
  for (std::size_t i = at; i < bandwidth.size(); ++i)
    roof = std::max(roof, bandwidth[i].gbps);
  return roof;
}

std::vector<double> default_working_sets_kib() {
  std::vector<double> out;
  for (double kib = 16; kib <= 128 * 1024; kib *= 2) {
    out.push_back(kib);
    if (kib * 1.5 < 128 * 1024)
      out.push_back(kib * 1.5);
  }
  return out;
}

std::string machine_signature() {
  std::string flags = cpuinfo_field("flags");
  std::string vec;
  for (const char* f : {"avx512f", "avx2", "fma", "sse4_2", "asimd"})
    if ((" " + flags + " ").find(std::string{" "} + f + " ") != std::string::npos)
      vec += std::string{vec.empty() ? "" : ","} + f;
  utsname u{};
  std::string release = uname(&u) == 0 ? std::string{u.release} : std::string{"?"};
  std::ostringstream out;
  out << cpuinfo_field("model name") << "; cores=" << std::thread::hardware_concurrency() << "; " << vec
      << "; linux " << release;
  return out.str();
}

caf::expected<machine_peaks> measure_peaks(const peak_options& opts) {
  auto t0 = clock_type::now();
  machine_peaks peaks;
  peaks.signature = machine_signature();
  peaks.source = "measured";
  std::vector<double> sets = opts.working_sets_kib;
  std::sort(sets.begin(), sets.end());
  if (sets.empty())
    return make_error(errc::bad_config, "measure_peaks: no working sets given");
  auto largest = static_cast<std::size_t>(sets.back() * 1024.0 / (3 * sizeof(double))) + 64;
  auto a = allocate(largest);
  auto b = allocate(largest);
  auto c = allocate(largest);
  if (!a || !b || !c)
    return make_error(errc::io_failed, "measure_peaks: cannot allocate 3 x " +
                                           std::to_string(largest * sizeof(double)) + " bytes");
  std::fill(a.get(), a.get() + largest, 0.0);
  std::fill(b.get(), b.get() + largest, 1.0);
  std::fill(c.get(), c.get() + largest, 2.0);
  for (double kib : sets) {
    double bytes = kib * 1024.0;
    // Half the time each: the triad (reads and writes) and a read-only stream over the same bytes.
    double triad = triad_gbps(a.get(), b.get(), c.get(), bytes, opts.min_ms_per_size / 2);
    double read = read_gbps(b.get(), std::min(bytes, static_cast<double>(largest * sizeof(double))),
                            opts.min_ms_per_size / 2);
    peaks.bandwidth.push_back({bytes, std::max(triad, read)});
  }
  peaks.gflops = measure_gflops(opts.fma_ms, peaks.isa);
  peaks.measure_ms = ms_since(t0);
  return peaks;
}

std::string encode_bandwidth(const std::vector<bandwidth_point>& curve) {
  auto out = nlohmann::json::array();
  for (const auto& p : curve)
    out.push_back({p.bytes, p.gbps});
  return out.dump();
}

std::vector<bandwidth_point> decode_bandwidth(const std::string& text) {
  std::vector<bandwidth_point> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return {};
  for (const auto& p : j) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
      return {};
    out.push_back({p[0].get<double>(), p[1].get<double>()});
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.bytes < y.bytes; });
  return out;
}

}  // namespace kforge::hardware
