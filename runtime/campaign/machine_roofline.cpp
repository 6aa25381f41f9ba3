#include "runtime/campaign/machine_roofline.hpp"

#include "hardware/cuda/cuda_discovery.hpp"
#include "hardware/host/machine_peaks.hpp"
#include "hardware/host/perf_probe.hpp"
#include "hardware/null/null_device.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/log.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

namespace kforge::runtime {

namespace {

std::string meta_key(const std::string& device, const char* metric) {
  return "peak/" + device + "/" + metric;
}

// The cached peaks, if their signature matches this machine's.
caf::expected<std::optional<hardware::machine_peaks>> cached_peaks(const memory::store& store,
                                                                   const std::string& device,
                                                                   const std::string& signature,
                                                                   const std::vector<double>& sets_kib) {
  auto tx = store.read();
  if (!tx)
    return tx.error();
  auto sig = memory::get_meta(*tx, meta_key(device, "signature"));
  if (!sig) {
    if (code_of(sig.error()) == errc::not_found)
      return std::optional<hardware::machine_peaks>{};
    return sig.error();
  }
  if (*sig != signature)
    return std::optional<hardware::machine_peaks>{};
  auto gflops = memory::get_meta(*tx, meta_key(device, "gflops"));
  auto bw = memory::get_meta(*tx, meta_key(device, "bandwidth"));
  if (!gflops || !bw)
    return std::optional<hardware::machine_peaks>{};
  hardware::machine_peaks p;
  p.gflops = std::strtod(gflops->c_str(), nullptr);
  p.bandwidth = hardware::decode_bandwidth(*bw);
  p.signature = *sig;
  p.source = "cached";
  if (p.gflops <= 0 || p.bandwidth.empty())
    return std::optional<hardware::machine_peaks>{};
  // Another curve (older semantics, other working sets): measure again.
  auto version = memory::get_meta(*tx, meta_key(device, "curve"));
  if (!version || *version != hardware::bandwidth_curve_version || p.bandwidth.size() != sets_kib.size())
    return std::optional<hardware::machine_peaks>{};
  auto sorted = sets_kib;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i)
    if (std::abs(p.bandwidth[i].bytes - sorted[i] * 1024.0) > 0.5)
      return std::optional<hardware::machine_peaks>{};
  return std::optional<hardware::machine_peaks>{std::move(p)};
}

// The meta entries that cache `p` for `device`; the curator writes them.
actors::peaks_record peaks_entries(const std::string& device, const hardware::machine_peaks& p,
                                   const std::string& perf) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", p.gflops);
  char ms[64];
  std::snprintf(ms, sizeof(ms), "%.1f", p.measure_ms);
  actors::peaks_record rec;
  rec.device = device;
  for (const auto& [metric, value] : std::vector<std::pair<const char*, std::string>>{
           {"gflops", buf},
           {"bandwidth", hardware::encode_bandwidth(p.bandwidth)},
           {"signature", p.signature},
           {"measured_ms", ms},
           {"isa", p.isa},
           {"curve", hardware::bandwidth_curve_version},
           {"perf", perf}})
    rec.entries[meta_key(device, metric)] = value;
  return rec;
}

std::string describe_peaks(const hardware::machine_peaks& p) {
  std::string out;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%.1f GFLOP/s FP32 (%s), bandwidth", p.gflops,
                p.isa.empty() ? "cached" : p.isa.c_str());
  out = buf;
  // A long curve is shown every fourth point (a factor of 4 in working set with the default
  // sets) and its last; the store's meta (peak/<device>/bandwidth) holds it whole.
  const std::size_t step = p.bandwidth.size() > 8 ? 4 : 1;
  for (std::size_t i = 0; i < p.bandwidth.size(); ++i) {
    if (i % step != 0 && i + 1 != p.bandwidth.size())
      continue;
    const auto& b = p.bandwidth[i];
    std::snprintf(buf, sizeof(buf), " %.0f KiB: %.1f GB/s;", b.bytes / 1024, b.gbps);
    out += buf;
  }
  if (!out.empty() && out.back() == ';')
    out.pop_back();
  return out;
}

}  // namespace

caf::expected<actors::roofline_config> prepare_roofline(const memory::store& store,
                                                        const campaign_config& cfg, bool remeasure,
                                                        std::string& note,
                                                        std::optional<actors::peaks_record>& fresh) {
  fresh.reset();
  const auto& mc = cfg.machine;
  actors::roofline_config roof;
  roof.latency_floor_ns = mc.latency_floor_us * 1000.0;
  roof.buckets = mc.efficiency_buckets;
  auto perf = hardware::probe_perf_counters();
  // Counter-based features are not collected by the harness yet: the state says "roofline".
  roof.source = "roofline";
  std::string perf_note =
      perf.readable ? "perf counters readable (not used yet)" : "perf counters: " + perf.reason;
  if (!mc.measure ||
      hardware::null_sleep_ms(cfg.verifier.device)) {  // the null device times nothing: nominal roofs
    roof.gflops = mc.peak_gflops;
    roof.bandwidth = {{1e18, mc.peak_gbps}};
    roof.peaks = "nominal";
    note = "roofline: nominal peaks from the config (" + std::to_string(mc.peak_gflops) + " GFLOP/s, " +
           std::to_string(mc.peak_gbps) + " GB/s); " + perf_note;
    return roof;
  }
  const auto& device = cfg.verifier.device;
  if (device != "cpu") {
    // A GPU's roofline comes from the device itself (its SM count, clock and memory bus, read at run
    // time), not from the host's STREAM and FMA figures.
    auto env = hardware::discover_cuda();
    if (!env.usable()) {
      roof.gflops = mc.peak_gflops;
      roof.bandwidth = {{1e18, mc.peak_gbps}};
      note = "roofline: nominal peaks from the config (" + env.problem + ")";
      return roof;
    }
    std::size_t index = 0;
    if (device.rfind("cuda:", 0) == 0 && device != "cuda:all")
      index = static_cast<std::size_t>(std::stoul(device.substr(5)));
    const auto& gpu = env.gpus.at(std::min(index, env.gpus.size() - 1));
    roof.gflops = gpu.peak_fp32_gflops();
    roof.bandwidth = {{1e18, gpu.peak_gbps()}};
    roof.peaks = "device";
    char buf[160];
    std::snprintf(buf, sizeof(buf), "roofline: %s peaks from the device: %.0f GFLOP/s FP32, %.0f GB/s",
                  gpu.name.c_str(), roof.gflops, gpu.peak_gbps());
    note = buf;
    return roof;
  }
  auto signature = hardware::machine_signature();
  std::optional<hardware::machine_peaks> peaks;
  if (!remeasure) {
    auto cached = cached_peaks(store, device, signature, mc.working_sets_kib);
    if (!cached)
      return cached.error();
    peaks = std::move(*cached);
  }
  if (!peaks) {
    hardware::peak_options opts;
    opts.working_sets_kib = mc.working_sets_kib;
    opts.min_ms_per_size = mc.stream_ms;
    opts.fma_ms = mc.fma_ms;
    auto measured = hardware::measure_peaks(opts);
    if (!measured)
      return measured.error();
    fresh = peaks_entries(device, *measured, perf.reason);
    peaks = std::move(*measured);
    char ms[32];
    std::snprintf(ms, sizeof(ms), "%.0f ms", peaks->measure_ms);
    note = "roofline: measured in " + std::string{ms} + ": " + describe_peaks(*peaks);
  } else {
    note = "roofline: cached peaks: " + describe_peaks(*peaks);
  }
  note += "; " + perf_note;
  roof.gflops = peaks->gflops;
  roof.bandwidth = peaks->bandwidth;
  roof.peaks = peaks->source;
  return roof;
}

caf::expected<std::optional<actors::memory_import>> read_memory_source(const memory::store& store,
                                                                       const std::filesystem::path& from) {
  if (!std::filesystem::exists(from / "data.mdb"))
    return make_error(errc::bad_config, "memory from " + from.string() + ": no store there (no data.mdb)");
  auto source_path = std::filesystem::absolute(from).lexically_normal().string();
  actors::memory_import imp;
  imp.source = std::filesystem::absolute(from).string();
  imp.marker = "memory_from/" + sha256_hex(source_path);
  {
    auto tx = store.read();
    if (!tx)
      return tx.error();
    auto seen = memory::get_meta(*tx, imp.marker);
    if (seen)
      return std::optional<actors::memory_import>{};
    if (code_of(seen.error()) != errc::not_found)
      return seen.error();
  }
  auto source = memory::store::open(from);
  if (!source)
    return source.error();
  auto tx = source->read();
  if (!tx)
    return tx.error();
  auto list = memory::list_memory(*tx);
  if (!list)
    return list.error();
  imp.items = std::move(*list);
  return std::optional<actors::memory_import>{std::move(imp)};
}

}  // namespace kforge::runtime
