// Issue 7 without a GPU: CUDA discovery, the CUDA hack gate, the nvcc compile
// gate (skipped where no nvcc is installed), KernelBench problem parsing, the
// Python gate and the KernelBench result channel.
#include "hardware/native/cpu_backend.hpp"
#include "hardware/cuda/gpu_device.hpp"
#include "hardware/cuda/cuda_discovery.hpp"
#include "hardware/gates/hack_check.hpp"
#include "hardware/native/harness.hpp"
#include "hardware/kernelbench/kernelbench.hpp"
#include "tests/support/temp_dir.hpp"
#include "hardware/tasks/task_loader.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

const std::filesystem::path source_dir{KFORGE_SOURCE_DIR};

task_def cuda_task(const std::string& id) {
  auto t = load_task(source_dir / "configs/tasks/cuda" / (id + ".toml"));
  if (!t)
    FAIL(describe(t.error()));
  return *t;
}

std::vector<knob_setting> first_values(const task_def& task) {
  std::vector<knob_setting> s;
  for (const auto& k : task.knobs)
    s.push_back({k.name, k.values.front()});
  return s;
}

task_def kb_problem(const std::string& name) {
  auto t = load_kernelbench_problem(source_dir / "tests/hardware/data/kernelbench/level1" / name);
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
  auto ok = render_template(task, first_values(task));
  auto g = hack_check_cuda(task, ok);
  INFO(g.detail);
  CHECK(g.passed);
  // The C++ gate rejects the CUDA header the CUDA gate allows.
  CHECK_FALSE(hack_check(task, ok).passed);
  auto body = [](const std::string& inner) {
    return "#include <cuda_runtime.h>\n__global__ void k(float* y) { extern __shared__ float s[];\n#pragma unroll\n"
           "for (int i = 0; i < 2; ++i) y[i] = s[i]; }\nvoid gelu_tanh(const float* x, float* y, int n) {\n" +
           inner + "\n}\n";
  };
  CHECK(hack_check_cuda(task, body("k<<<1, 32>>>(y);")).passed);
  struct bad_case {
    const char* code;
    const char* word;
  };
  for (const auto& b : {bad_case{"cudaStream_t s; cudaStreamCreate(&s); k<<<1, 32, 0, s>>>(y);", "cudaStreamCreate"},
                        bad_case{"cudaEvent_t e; cudaEventRecord(e);", "cudaEventRecord"},
                        bad_case{"long long t = clock64();", "clock64"},
                        bad_case{"cuLaunchKernel(0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0);", "cuLaunchKernel"},
                        bad_case{"float* m; cudaMallocManaged(&m, 4);", "cudaMallocManaged"},
                        bad_case{"cudaDeviceReset();", "cudaDeviceReset"},
                        bad_case{"__nanosleep(100);", "__nanosleep"},
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
  auto tasks = load_tasks(source_dir, {"configs/tasks/cuda/*.toml"});
  REQUIRE(tasks);
  CHECK(tasks->size() >= 10);
  std::set<std::string> families;
  std::set<std::string> knob_names;
  for (const auto& t : *tasks) {
    CHECK(t.backend == "cuda");
    families.insert(t.family);
    for (const auto& k : t.knobs)
      knob_names.insert(k.name);
    auto g = hack_check_cuda(t, render_template(t, first_values(t)));
    INFO(t.id << ": " << g.detail);
    CHECK(g.passed);
  }
  CHECK(families.size() >= 6);
  for (const char* k : {"BLOCK", "VEC", "TILE", "PAD", "ACC"})
    CHECK(knob_names.count(k) == 1);
}

TEST_CASE("The nvcc compile gate builds a CUDA kernel with the CUDA harness and turns a compile error into a result",
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
  auto good = backend.compile(task, render_template(task, first_values(task)), "good");
  REQUIRE(good);
  INFO(good->output);
  CHECK(good->ok);
  CHECK(std::filesystem::is_regular_file(good->binary));
  CHECK_FALSE(backend.discard(*good));
  auto bad = backend.compile(task, "void silu(const float* x, float* y, int n) { undeclared_thing<<<1, 1>>>(); }\n",
                             "bad");
  REQUIRE(bad);
  CHECK_FALSE(bad->ok);
  CHECK(bad->output.find("undeclared_thing") != std::string::npos);
}

TEST_CASE("KernelBench problems load as tasks with a ModelNew generator and knobs", "[hardware][kernelbench]") {
  auto relu = kb_problem("19_ReLU.py");
  CHECK(relu.id == "kb1_19_relu");
  CHECK(relu.backend == "kernelbench");
  CHECK(relu.family == "kb_elementwise");
  CHECK(relu.reference_source.find("class Model") != std::string::npos);
  REQUIRE(relu.knobs.size() == 4);
  auto rendered = render_template(relu, first_values(relu));
  CHECK(rendered.rfind("BLOCK = 128\nVEC = 1\n", 0) == 0);
  CHECK(rendered.find("fmaxf(v, 0.0f)") != std::string::npos);
  auto gate = hack_check_python(relu, rendered);
  INFO(gate.detail);
  CHECK(gate.passed);

  auto leaky = kb_problem("20_LeakyReLU.py");
  auto leaky_src = render_template(leaky, first_values(leaky));
  CHECK(leaky_src.find("def __init__(self, negative_slope: float = 0.01):") != std::string::npos);
  CHECK(leaky_src.find("self.negative_slope = negative_slope") != std::string::npos);
  CHECK(leaky_src.find("kf_forward(x, self.negative_slope, 0.0)") != std::string::npos);
  auto hardtanh = kb_problem("32_HardTanh.py");
  CHECK(render_template(hardtanh, first_values(hardtanh)).find("kf_forward(x, -0.5, 0.75)") != std::string::npos);
  CHECK(recognise_kernelbench_op("def forward(self, x):\n    return x / (1 + torch.abs(x))\n")->kind == "softsign");

  auto matmul = load_kernelbench_problem(source_dir / "tests/hardware/data/kernelbench/level1/1_Square_matrix_multiplication_.py");
  REQUIRE_FALSE(matmul);
  CHECK(describe(matmul.error()).find("no candidate generator") != std::string::npos);
  CHECK(describe(matmul.error()).find("torch.matmul(A,B)") != std::string::npos);

  // A directory of problems loads through the ordinary task globs.
  auto all = load_tasks(source_dir, {"tests/hardware/data/kernelbench/level1/[23]*.py"});
  REQUIRE(all);
  CHECK(all->size() == 3);
}

TEST_CASE("The KernelBench gate rejects escapes, side streams, timing and monkey-patching", "[hardware][kernelbench]") {
  auto relu = kb_problem("19_ReLU.py");
  const std::string head = "import torch\nimport torch.nn as nn\n";
  const std::string model = "class ModelNew(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n";
  CHECK(hack_check_python(relu, head + model).passed);
  struct bad_case {
    std::string code;
    const char* word;
  };
  for (const auto& b : {bad_case{"import os\n", "os"}, bad_case{"s = torch.cuda.Stream()\n", "Stream"},
                        bad_case{"torch.allclose = lambda *a, **k: True\n", "torch.allclose"},
                        bad_case{"nn.Module.__call__ = None\n", "nn.Module.__call__"},
                        bad_case{"setattr(torch, 'equal', None)\n", "setattr"},
                        bad_case{"x = eval('1')\n", "eval"},
                        bad_case{"src = 'cudaStream_t s; cudaStreamCreate(&s);'\n", "cudaStreamCreate"},
                        bad_case{"src = '''long long t = clock64();'''\n", "clock64"},
                        bad_case{"y = f'{1}'\n", "f-strings"},
                        bad_case{"from torch.utils.cpp_extension import load\n", "load"},
                        bad_case{"e = torch.cuda.Event(enable_timing=True)\n", "Event"},
                        bad_case{"torch.manual_seed(0)\n", "manual_seed"}}) {
    auto r = hack_check_python(relu, head + b.code + model);
    INFO(b.code << " -> " << r.detail);
    CHECK_FALSE(r.passed);
    CHECK(r.detail.find(b.word) != std::string::npos);
  }
  // Words in strings and comments are prose, except CUDA names; self may be assigned.
  CHECK(hack_check_python(relu, head + "# import os\ndoc = 'open the stream'\n" + model).passed);
  // Synchronizing the current stream is not a hack (it only costs time).
  CHECK(hack_check_python(relu, head + "torch.cuda.synchronize()\n" + model).passed);
  CHECK_FALSE(hack_check_python(relu, head).passed);  // no ModelNew
}

TEST_CASE("The KernelBench result channel must carry the run's nonce and end properly", "[hardware][kernelbench]") {
  run_nonce nonce{};
  for (std::size_t i = 0; i < nonce.size(); ++i)
    nonce[i] = static_cast<uint8_t>(i * 7 + 1);
  auto other = nonce;
  other[3] ^= 0xff;
  const std::string json = R"({"correct": true})";
  auto good = encode_record(static_cast<record_type>(10), 0, nonce, json) +
              encode_record(record_type::end, 0, nonce, encode_end(1, -1));
  auto parsed = parse_kernelbench_channel(good, nonce);
  REQUIRE(parsed);
  CHECK(*parsed == json);
  CHECK_FALSE(parse_kernelbench_channel("", nonce));
  CHECK_FALSE(parse_kernelbench_channel(good, other));
  CHECK_FALSE(parse_kernelbench_channel(encode_record(static_cast<record_type>(10), 0, nonce, json), nonce));
  CHECK_FALSE(parse_kernelbench_channel(good + good, nonce));
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
  auto tasks = load_tasks(source_dir, {"configs/tasks/cuda/*.toml"});
  REQUIRE(tasks);
  for (const auto& t : *tasks) {
    auto harness = backend.build_harness(t);
    if (!harness)
      FAIL(describe(harness.error()));
    std::vector<knob_setting> last;
    for (const auto& k : t.knobs)
      last.push_back({k.name, k.values.back()});
    for (const auto& source : {t.reference_source, render_template(t, first_values(t)), render_template(t, last)}) {
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
    return std::string{"\""} + id + R"CSV(","42","kernel","h","kf_kernel(const float *, float *, int)","1","7","(256, 1, 1)","(4096, 1, 1)","0","9.0","Command line profiler metrics",")CSV" +
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
  CHECK(describe_profile(roof) == "roofline from time (no ncu: ncu not configured); 2900 GB/s, 0 GFLOP/s, 60 % of the roofline");
}
