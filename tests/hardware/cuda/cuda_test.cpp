// The CUDA side without a GPU: discovery, the CUDA hack gate, the nvcc compile
// gate (skipped where no nvcc is installed) and Nsight Compute's CSV.
#include "hardware/cuda/cuda_discovery.hpp"
#include "hardware/cuda/gpu_device.hpp"
#include "hardware/gates/hack_check.hpp"
#include "hardware/native/cpu_backend.hpp"
#include "hardware/native/harness.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "tests/support/task_files.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

task_def cuda_task(const std::string& id) {
  auto t = load_task(test::source_dir / "configs/tasks/cuda" / (id + ".toml"));
  if (!t)
    FAIL(describe(t.error()));
  return *t;
}

}  // namespace

TEST_CASE("CUDA discovery without a driver says why and finds no GPU", "[hardware][cuda]") {
  auto env = discover_cuda("libkforge-no-such-cuda-driver.so.1");
  CHECK_FALSE(env.usable());
  CHECK(env.gpus.empty());
  CHECK(env.problem.rfind("no CUDA driver: ", 0) == 0);
  CHECK(describe(env) == env.problem);
  // The real discovery is consistent whatever this host has.
  auto here = discover_cuda();
  CHECK(here.usable() == (here.driver && !here.gpus.empty()));
  CHECK(here.usable() == here.problem.empty());
}

TEST_CASE("nvcc is found at run time by path, or not at all", "[hardware][cuda]") {
  CHECK(find_nvcc("/no/such/nvcc").empty());
  auto nvcc = find_nvcc();
  if (!nvcc.empty())
    CHECK(std::filesystem::exists(nvcc));
}

TEST_CASE("The CUDA hack gate allows CUDA kernels and forbids streams, events, clocks and the driver API",
          "[hardware][cuda]") {
  auto task = cuda_task("gelu_tanh_4m");
  auto ok = render_template(task, test::first_values(task));
  auto g = hack_check_cuda(task, ok);
  INFO(g.detail);
  CHECK(g.passed);
  // The C++ gate rejects the CUDA header the CUDA gate allows.
  CHECK_FALSE(hack_check(task, ok).passed);
  auto body = [](const std::string& inner) {
    return "#include <cuda_runtime.h>\n__global__ void k(float* y) { extern __shared__ float s[];\n#pragma "
           "unroll\n"
           "for (int i = 0; i < 2; ++i) y[i] = s[i]; }\nvoid gelu_tanh(const float* x, float* y, int n) {\n" +
           inner + "\n}\n";
  };
  CHECK(hack_check_cuda(task, body("k<<<1, 32>>>(y);")).passed);
  struct bad_case {
    const char* code;
    const char* word;
  };
  for (const auto& b :
       {bad_case{"cudaStream_t s; cudaStreamCreate(&s); k<<<1, 32, 0, s>>>(y);", "cudaStreamCreate"},
        bad_case{"cudaEvent_t e; cudaEventRecord(e);", "cudaEventRecord"},
        bad_case{"long long t = clock64();", "clock64"},
        bad_case{"cuLaunchKernel(0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0);", "cuLaunchKernel"},
        bad_case{"float* m; cudaMallocManaged(&m, 4);", "cudaMallocManaged"},
        bad_case{"cudaDeviceReset();", "cudaDeviceReset"}, bad_case{"__nanosleep(100);", "__nanosleep"},
        bad_case{"cudaGraph_t g;", "cudaGraph_t"}}) {
    auto r = hack_check_cuda(task, body(b.code));
    INFO(b.code);
    CHECK_FALSE(r.passed);
    CHECK(r.detail.find(b.word) != std::string::npos);
  }
  // `extern` other than before __shared__ stays forbidden.
  CHECK_FALSE(hack_check_cuda(task, body("") + "extern \"C\" int puts(const char*);\n").passed);
}

TEST_CASE("Every CUDA task loads, and its template at the first knob values passes the CUDA gate",
          "[hardware][cuda]") {
  auto tasks = load_tasks(test::source_dir, {"configs/tasks/cuda/*.toml"});
  REQUIRE(tasks);
  CHECK(tasks->size() >= 10);
  std::set<std::string> families;
  std::set<std::string> knob_names;
  for (const auto& t : *tasks) {
    CHECK(t.backend == "cuda");
    families.insert(t.family);
    for (const auto& k : t.knobs)
      knob_names.insert(k.name);
    auto g = hack_check_cuda(t, render_template(t, test::first_values(t)));
    INFO(t.id << ": " << g.detail);
    CHECK(g.passed);
  }
  CHECK(families.size() >= 6);
  for (const char* k : {"BLOCK", "VEC", "TILE", "PAD", "ACC"})
    CHECK(knob_names.count(k) == 1);
}

TEST_CASE(
    "The nvcc compile gate builds a CUDA kernel with the CUDA harness and turns a compile error into a "
    "result",
    "[hardware][cuda][nvcc]") {
  auto nvcc = find_nvcc();
  if (nvcc.empty()) {
    WARN("skipped: no nvcc (CUDA_HOME, /usr/local/cuda/bin or PATH)");
    return;
  }
  test::temp_dir work{"cuda-compile"};
  cpu_backend_config base;
  base.work_dir = work.path();
  auto config = cuda_native_config(base, nvcc, {"-O3"}, "sm_90", 0);
  CHECK(config.device == "cuda:0");
  CHECK(config.run_limits.address_space_bytes == 0);
  cpu_backend backend{config};
  auto task = cuda_task("silu_3m");
  auto harness = backend.build_harness(task);
  if (!harness)
    FAIL(describe(harness.error()));
  auto good = backend.compile(task, render_template(task, test::first_values(task)), "good");
  REQUIRE(good);
  INFO(good->output);
  CHECK(good->ok);
  CHECK(std::filesystem::is_regular_file(good->binary));
  CHECK_FALSE(backend.discard(*good));
  auto bad = backend.compile(
      task, "void silu(const float* x, float* y, int n) { undeclared_thing<<<1, 1>>>(); }\n", "bad");
  REQUIRE(bad);
  CHECK_FALSE(bad->ok);
  CHECK(bad->output.find("undeclared_thing") != std::string::npos);
}

// Slow (about 3 s of nvcc per build): run by hand, or on the GPU machine with its cores.
TEST_CASE("Every CUDA task's harness, reference and template at the first and last knob values compile",
          "[.][cuda-templates]") {
  auto nvcc = find_nvcc();
  if (nvcc.empty()) {
    WARN("skipped: no nvcc");
    return;
  }
  test::temp_dir work{"cuda-templates"};
  cpu_backend_config base;
  base.work_dir = work.path();
  cpu_backend backend{cuda_native_config(base, nvcc, {"-O3"}, "sm_90", 0)};
  auto tasks = load_tasks(test::source_dir, {"configs/tasks/cuda/*.toml"});
  REQUIRE(tasks);
  for (const auto& t : *tasks) {
    auto harness = backend.build_harness(t);
    if (!harness)
      FAIL(describe(harness.error()));
    std::vector<knob_setting> last;
    for (const auto& k : t.knobs)
      last.push_back({k.name, k.values.back()});
    for (const auto& source :
         {t.reference_source, render_template(t, test::first_values(t)), render_template(t, last)}) {
      auto c = backend.compile(t, source, t.id);
      REQUIRE(c);
      INFO(t.id << ":\n" << c->output);
      CHECK(c->ok);
      CHECK_FALSE(backend.discard(*c));
    }
  }
}

TEST_CASE("Nsight Compute CSV gives the profile of the first launch", "[hardware][cuda]") {
  const std::string head =
      R"("ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value")";
  auto row = [](const char* id, const char* metric, const char* value) {
    return std::string{"\""} + id +
           R"CSV(","42","kernel","h","kf_kernel(const float *, float *, int)","1","7","(256, 1, 1)","(4096, 1, 1)","0","9.0","Command line profiler metrics",")CSV" +
           metric + R"CSV(","%",")CSV" + value + "\"\n";
  };
  auto csv = std::string{"==PROF== Connected to process 42\nprogram output\n"} + head + "\n" +
             row("0", "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed", "85.12") +
             row("0", "sm__throughput.avg.pct_of_peak_sustained_elapsed", "20.5") +
             row("0", "sm__warps_active.avg.pct_of_peak_sustained_active", "71") +
             row("0", "gpu__time_duration.sum", "12,345") +
             row("1", "sm__throughput.avg.pct_of_peak_sustained_elapsed", "99");
  auto p = parse_ncu_csv(csv);
  CHECK(p.source == "ncu");
  CHECK(p.memory_pct == Approx(85.12));
  CHECK(p.compute_pct == Approx(20.5));
  CHECK(p.occupancy_pct == Approx(71));
  CHECK(p.kernel_ns == Approx(12345));
  CHECK(p.kernel.rfind("kf_kernel", 0) == 0);
  CHECK(describe_profile(p).find("ncu: memory throughput 85.1 %") == 0);
  auto none = parse_ncu_csv("==ERROR== ERR_NVGPUCTRPERM - The user does not have permission\n");
  CHECK(none.source.empty());
  kernel_profile roof;
  roof.source = "roofline from time";
  roof.note = "ncu not configured";
  roof.achieved_gbps = 2900;
  roof.roofline_pct = 60;
  CHECK(describe_profile(roof) ==
        "roofline from time (no ncu: ncu not configured); 2900 GB/s, 0 GFLOP/s, 60 % of the roofline");
}
