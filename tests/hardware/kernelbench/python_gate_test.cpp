// The Python gate on kernels of the shapes models write: what it must let through (a tensor's own
// device, autograd Functions, prose about cuDNN, cuDNN's benchmark setting) and what it must refuse
// (side streams through ATen's pool), each from a fixture under tests/hardware/data/kernelbench/gate,
// and the near misses of each allowance.
#include "hardware/kernelbench/python_gate_run.hpp"
#include "hardware/sandbox/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

const std::filesystem::path gate_dir{std::string{KFORGE_SOURCE_DIR} +
                                     "/tests/hardware/data/kernelbench/gate"};

std::string fixture(const std::string& name) {
  auto text = read_text(gate_dir / name);
  if (!text)
    FAIL("cannot read fixture " << (gate_dir / name).string());
  return *text;
}

gate_result check(const std::string& source) {
  return hack_check_python(task_def{}, source);
}

const std::string head = "import torch\nimport torch.nn as nn\n";
const std::string model = "class ModelNew(nn.Module):\n    def forward(self, x):\n        return x\n";

// A load_inline call whose CUDA sources are the Python expression `sources`.
std::string ext(const std::string& sources, const std::string& more = "") {
  return "from torch.utils.cpp_extension import load_inline\n"
         "e = load_inline(name='e', cpp_sources='', cuda_sources=" +
         sources + more + ")\n";
}

}  // namespace

TEST_CASE("The Python gate lets legitimate model-written kernels through", "[hardware][kernelbench][gate]") {
  for (const auto* name : {"set_device.py", "autograd_input.py", "cudnn_words.py"}) {
    auto r = check(fixture(name));
    INFO(name << " -> " << r.detail);
    CHECK(r.passed);
  }
}

TEST_CASE("The Python gate refuses side-stream work through ATen's stream pool",
          "[hardware][kernelbench][gate]") {
  auto r = check(fixture("side_stream_pool.py"));
  INFO(r.detail);
  CHECK_FALSE(r.passed);
  CHECK(r.detail.find("'getStreamFromPool'") != std::string::npos);
  CHECK(r.detail.find("'CUDAStreamGuard'") != std::string::npos);
  CHECK(r.detail.find("line 20") != std::string::npos);
  // Each of the other ways ATen and c10 offer is refused too.
  for (const auto* name : {"getStreamFromExternal", "OptionalCUDAStreamGuard", "CUDAMultiStreamGuard",
                           "setCurrentCUDAStream", "CUDAEvent", "CUDAGraph"}) {
    auto bad = check(head + ext(std::string{"'"} + name + " g;'") + model);
    INFO(name << " -> " << bad.detail);
    CHECK_FALSE(bad.passed);
    CHECK(bad.detail.find(name) != std::string::npos);
  }
}

TEST_CASE("Each allowance of the Python gate stops where its reason does", "[hardware][kernelbench][gate]") {
  struct near_miss {
    std::string code;
    const char* word;
  };
  for (const auto& b : {
           // Another device than the tensor's, or one computed some other way.
           near_miss{ext("'cudaSetDevice(1);'"), "cudaSetDevice"},
           near_miss{ext("'cudaSetDevice(A.device().index() + 1);'"), "cudaSetDevice"},
           // `input` is allowed as a parameter only, never as the builtin.
           near_miss{"x = input()\n", "input"},
           near_miss{"def f(a):\n    return input()\ndef g(input):\n    return input\n", "input"},
           // `ctx.x =` only where ctx is the first parameter, one level deep, never rebound.
           near_miss{"ctx = torch\nctx.allclose = None\n", "ctx.allclose"},
           near_miss{"def forward(ctx, x):\n    ctx.a.b = x\n", "ctx.a.b"},
           near_miss{"def forward(ctx, x):\n    ctx = torch\n    ctx.equal = x\n", "ctx.equal"},
           near_miss{"def forward(self, ctx):\n    ctx.equal = None\n", "ctx.equal"},
           near_miss{"def forward(ctx, x):\n    return x\nctx.equal = None\n", "ctx.equal"},
           // Backend settings are settings; torch.backends' private parts and other modules are not.
           near_miss{"torch.backends._x = True\n", "torch.backends._x"},
           near_miss{"torch.cuda.matmul = None\n", "torch.cuda.matmul"},
           // Comments end where the compiler ends them: after the escapes are decoded.
           near_miss{ext("'/* \\x2a\\x2f cuStreamCreate(0); /* */'"), "cuStreamCreate"},
           near_miss{ext("'// note \\n cuLaunchKernel(0);'"), "cuLaunchKernel"},
           // Prose names of libraries are fine; the driver API next to them is not.
           near_miss{"# cuDNN\n" + ext("'int cuDNN; void f() { cuInit(0); }'"), "cuInit"},
           // Sources the gate cannot fold, and load_inline called some other way.
           near_miss{"import math\n" + ext("str(math.pi)"), "string constants"},
           near_miss{"srcs = ['']\nsrcs.append(str(1))\n" + ext("srcs"), "string constants"},
           near_miss{"from torch.utils.cpp_extension import load_inline as li\nf = li\n", "called directly"},
           near_miss{ext("''", ", extra_cflags=['-include/etc/passwd']"), "-include"},
           near_miss{ext("''", ", extra_ldflags=['-lpython3.12']"), "-lpython3.12"},
           near_miss{ext("''", ", extra_cflags=['-DRUN=PyRun_SimpleString']"), "PyRun_SimpleString"},
       }) {
    auto r = check(head + b.code + model);
    INFO(b.code << " -> " << r.detail);
    CHECK_FALSE(r.passed);
    CHECK(r.detail.find(b.word) != std::string::npos);
  }
  // What the comments hold is prose in both languages.
  CHECK(
      check(head + "# cuLaunchKernel would be faster\n" + ext("'// cuLaunchKernel too\\n'") + model).passed);
  CHECK(check(head + ext("'''/* cuCtxCreate\n   is not called */'''") + model).passed);
  // Strings that no compiler sees are data.
  CHECK(check(head + "doc = 'cudaStreamCreate(&s); PyRun_SimpleString'\n" + model).passed);
}

TEST_CASE("The Python gate judges what CUDA-L1's kernels do with os, f-strings and torch._C by use",
          "[hardware][kernelbench][gate]") {
  // f-strings, os for build settings, torch._C's operator namespace: legitimate uses.
  for (const auto* name : {"fstring_print.py", "os_build_settings.py", "torch_c_ops.py"}) {
    auto r = check(fixture(name));
    INFO(name << " -> " << r.detail);
    CHECK(r.passed);
  }
  // os reaching the process, and torch._C's internals: refused, each named.
  auto os_bad = check(fixture("os_process.py"));
  INFO(os_bad.detail);
  CHECK_FALSE(os_bad.passed);
  for (const auto* word :
       {"line 9: os.environ may be written only", "line 10: 'os.system'", "line 11: 'os.write'"})
    CHECK(os_bad.detail.find(word) != std::string::npos);
  auto internals = check(fixture("torch_c_internals.py"));
  INFO(internals.detail);
  CHECK_FALSE(internals.passed);
  CHECK(internals.detail.find("line 20: 'torch._C._jit_set_profiling_executor'") != std::string::npos);
}

TEST_CASE("The Python gate reads identifiers as Python does: fullwidth setattr is setattr",
          "[hardware][kernelbench][gate]") {
  auto r = check(head + "ｓｅｔａｔｔｒ(ｔｏｒｃｈ, 'allclose', None)\n" + model);
  INFO(r.detail);
  CHECK_FALSE(r.passed);
  CHECK(r.detail.find("'setattr' is not allowed") != std::string::npos);
  // A candidate that is not Python is refused with the parser's reason, not passed.
  auto broken = check(head + "def f(:\n" + model);
  CHECK_FALSE(broken.passed);
  CHECK(broken.detail.find("does not parse") != std::string::npos);
}

TEST_CASE("The KernelBench gate reports a ModelNew that launches no kernel of its own as a bypass",
          "[hardware][kernelbench][gate]") {
  auto report = [](const std::string& src) {
    auto r = run_python_gate({}, src);
    REQUIRE(r);
    return *r;
  };
  const std::string kernel = ext("'__global__ void k(float* y) { y[0] = 1.0f; }'") + "\n";
  // Only torch ops; an extension built but never called from forward.
  CHECK_THAT(report(head + model).bypass, Catch::Contains("launches no kernel of its own"));
  CHECK_THAT(report(head + kernel + model).bypass, Catch::Contains("launches no kernel of its own"));
  // Called from forward, directly, through self, a helper or an autograd Function: not a bypass.
  const std::string fwd = "class ModelNew(nn.Module):\n    def forward(self, x):\n";
  CHECK(report(head + kernel + fwd + "        return e.k(x)\n").bypass.empty());
  CHECK(report(head + kernel +
               "class ModelNew(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
               "        self.k = e.k\n    def forward(self, x):\n        return self.k(x)\n")
            .bypass.empty());
  CHECK(report(head + kernel + "def run(x):\n    return e.k(x)\n" + fwd + "        return run(x)\n")
            .bypass.empty());
  // Every call inside a try whose except falls back; a handler that re-raises is no fallback.
  CHECK_THAT(report(head + kernel + fwd +
                    "        try:\n            return e.k(x)\n        except Exception:\n"
                    "            return torch.relu(x)\n")
                 .bypass,
             Catch::Contains("falls back"));
  CHECK(report(head + kernel + fwd +
               "        try:\n            return e.k(x)\n        except Exception:\n"
               "            raise\n")
            .bypass.empty());
}
