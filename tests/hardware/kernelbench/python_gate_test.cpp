// The Python gate on kernels of the shapes models write: what it must let through (a tensor's own
// device, autograd Functions, prose about cuDNN, cuDNN's benchmark setting) and what it must refuse
// (side streams through ATen's pool), each from a fixture under tests/hardware/data/kernelbench/gate,
// and the near misses of each allowance.
#include "hardware/gates/python_gate.hpp"
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
    auto bad = check(head + "src = '" + name + " g;'\n" + model);
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
           near_miss{"src = 'cudaSetDevice(1);'\n", "cudaSetDevice"},
           near_miss{"src = 'cudaSetDevice(A.device().index() + 1);'\n", "cudaSetDevice"},
           // `input` is allowed as a parameter only, never as the builtin.
           near_miss{"x = input()\n", "input"},
           near_miss{"def f(a):\n    return input()\ndef g(input):\n    return input\n", "input"},
           // `ctx.x =` only where ctx is the first parameter, one level deep, never rebound.
           near_miss{"ctx = torch\nctx.allclose = None\n", "ctx.allclose"},
           near_miss{"def forward(ctx, x):\n    ctx.a.b = x\n", "ctx.a.b"},
           near_miss{"def forward(ctx, x):\n    ctx = torch\n    ctx.equal = x\n", "ctx.equal"},
           near_miss{"def forward(self, ctx):\n    ctx.equal = None\n", "ctx.equal"},
           near_miss{"def forward(ctx, x):\n    return x\nctx.equal = None\n", "ctx.equal"},
           // Other backend settings are still attribute assignments.
           near_miss{"torch.backends.cudnn.allow_tf32 = True\n", "allow_tf32"},
           // A comment hides nothing that the compiler would see: escapes could end it early.
           near_miss{"src = '/* \\x2a\\x2f cuStreamCreate(0); /* */'\n", "cuStreamCreate"},
           near_miss{"src = '// note \\n cuLaunchKernel(0);'\n", "cuLaunchKernel"},
           near_miss{"src = '/* never closed ' 'cuCtxCreate(0); */'\n", "cuCtxCreate"},
           // Prose names of libraries are fine; the driver API next to them is not.
           near_miss{"# cuDNN\nsrc = 'cuDNN cuInit(0);'\n", "cuInit"},
       }) {
    auto r = check(head + b.code + model);
    INFO(b.code << " -> " << r.detail);
    CHECK_FALSE(r.passed);
    CHECK(r.detail.find(b.word) != std::string::npos);
  }
  // What the comments hold is prose in both languages.
  CHECK(check(head + "# cuLaunchKernel would be faster\nsrc = '// cuLaunchKernel too\\n'\n" + model).passed);
  CHECK(check(head + "src = '''/* cuCtxCreate\n   is not called */'''\n" + model).passed);
}
