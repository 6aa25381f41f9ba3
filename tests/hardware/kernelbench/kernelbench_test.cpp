// The kernelbench wing without a GPU or torch: problem files as tasks, the
// Python gate, the result channel, and a forged harness whose JSON result has
// badly typed fields (each must become a failed gate, never an exception).
#include "hardware/kernelbench/kernelbench.hpp"
#include "hardware/native/cpu_backend.hpp"
#include "hardware/sandbox/scratch_dir.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "tests/support/task_files.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

task_def kb_problem(const std::string& name) {
  auto t = load_kernelbench_problem(test::source_dir / "tests/hardware/data/kernelbench/level1" / name);
  if (!t)
    FAIL(describe(t.error()));
  return *t;
}

// A device whose "interpreter" is tests/hardware/hostile/kernelbench/forged_result.py: it reports,
// for each mode, the text the task's reference source names for that mode.
kernelbench_config forged_config(const std::filesystem::path& work_dir) {
  kernelbench_config c;
  c.python = (test::source_dir / "tests/hardware/hostile/kernelbench/forged_result.py").string();
  c.work_dir = work_dir;
  c.compile_limits = default_compile_limits();
  c.run_limits = default_run_limits();
  return c;
}

task_def forged_task(const std::string& reference, const std::string& build, const std::string& candidate) {
  task_def t;
  t.id = "kb0_forged";
  t.family = "kb_elementwise";
  t.backend = "kernelbench";
  t.definition_hash = "forged";
  t.reference_source =
      nlohmann::json{{"reference", reference}, {"build", build}, {"candidate", candidate}}.dump();
  return t;
}

}  // namespace

TEST_CASE("KernelBench problems with a recognised operator load with a ModelNew generator and knobs",
          "[hardware][kernelbench]") {
  auto relu = kb_problem("19_ReLU.py");
  CHECK(relu.id == "kb1_19_relu");
  CHECK(relu.backend == "kernelbench");
  CHECK(relu.family == "kb_elementwise");
  CHECK(relu.reference_source.find("class Model") != std::string::npos);
  REQUIRE(relu.knobs.size() == 4);
  auto rendered = render_template(relu, test::first_values(relu));
  CHECK(rendered.rfind("BLOCK = 128\nVEC = 1\n", 0) == 0);
  CHECK(rendered.find("fmaxf(v, 0.0f)") != std::string::npos);
  auto gate = hack_check_python(relu, rendered);
  INFO(gate.detail);
  CHECK(gate.passed);

  auto leaky = kb_problem("20_LeakyReLU.py");
  auto leaky_src = render_template(leaky, test::first_values(leaky));
  CHECK(leaky_src.find("def __init__(self, negative_slope: float = 0.01):") != std::string::npos);
  CHECK(leaky_src.find("self.negative_slope = negative_slope") != std::string::npos);
  CHECK(leaky_src.find("kf_forward(x, self.negative_slope, 0.0)") != std::string::npos);
  auto hardtanh = kb_problem("32_HardTanh.py");
  CHECK(render_template(hardtanh, test::first_values(hardtanh)).find("kf_forward(x, -0.5, 0.75)") !=
        std::string::npos);
  CHECK(recognise_kernelbench_op("def forward(self, x):\n    return x / (1 + torch.abs(x))\n")->kind ==
        "softsign");

  // A problem without a generator loads too, for a model policy: no template, no knobs.
  auto matmul = load_kernelbench_problem(
      test::source_dir / "tests/hardware/data/kernelbench/level1/1_Square_matrix_multiplication_.py");
  REQUIRE(matmul);
  CHECK(matmul->template_source.empty());
  CHECK(matmul->knobs.empty());

  // A directory of problems loads through the ordinary task globs.
  auto all = load_tasks(test::source_dir, {"tests/hardware/data/kernelbench/level1/[23]*.py"});
  REQUIRE(all);
  CHECK(all->size() == 3);
}

TEST_CASE("The KernelBench gate rejects escapes, side streams, timing and monkey-patching",
          "[hardware][kernelbench]") {
  auto relu = kb_problem("19_ReLU.py");
  const std::string head = "import torch\nimport torch.nn as nn\n";
  const std::string model =
      "class ModelNew(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n";
  CHECK(hack_check_python(relu, head + model).passed);
  struct bad_case {
    std::string code;
    const char* word;
  };
  const std::string load = "from torch.utils.cpp_extension import load_inline\n";
  for (const auto& b :
       {bad_case{"import os\nos.system('id')\n", "os.system"},
        bad_case{"s = torch.cuda.Stream()\n", "Stream"},
        bad_case{"torch.allclose = lambda *a, **k: True\n", "torch.allclose"},
        bad_case{"nn.Module.__call__ = None\n", "__call__"},
        bad_case{"setattr(torch, 'equal', None)\n", "setattr"}, bad_case{"x = eval('1')\n", "eval"},
        bad_case{load + "e = load_inline(name='e', cpp_sources='cudaStream_t s; void f() { "
                        "cudaStreamCreate(&s); }')\n",
                 "cudaStreamCreate"},
        bad_case{
            load + "e = load_inline(name='e', cpp_sources='', cuda_sources='long long t = clock64();')\n",
            "clock64"},
        bad_case{"y = f'{eval(\"1\")}'\n", "eval"},
        bad_case{"from torch.utils.cpp_extension import load\n", "load"},
        bad_case{"e = torch.cuda.Event(enable_timing=True)\n", "Event"},
        bad_case{"torch.manual_seed(0)\n", "manual_seed"}}) {
    auto r = hack_check_python(relu, head + b.code + model);
    INFO(b.code << " -> " << r.detail);
    CHECK_FALSE(r.passed);
    CHECK(r.detail.find(b.word) != std::string::npos);
  }
  // f-strings are expressions like any other.
  CHECK(hack_check_python(relu, head + "y = f'{1 + 1}'\n" + model).passed);
  // Words in strings and comments are prose; self may be assigned.
  CHECK(hack_check_python(relu, head + "# import os\ndoc = 'open the stream'\n" + model).passed);
  // Synchronizing the current stream is not a hack (it only costs time).
  CHECK(hack_check_python(relu, head + "torch.cuda.synchronize()\n" + model).passed);
  CHECK_FALSE(hack_check_python(relu, head).passed);  // no ModelNew
}

TEST_CASE("The KernelBench result channel must carry the run's nonce and end properly",
          "[hardware][kernelbench]") {
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

TEST_CASE("Badly typed fields in the KernelBench harness's JSON become failed gates, not exceptions",
          "[hardware][kernelbench]") {
  kforge::test::temp_dir tmp;
  const std::string good_reference = R"({"times_ms": [1.0, 1.25, 1.5], "device_name": "forged"})";
  const std::string built = R"({"built": true})";

  SECTION("a reference time that is not a number fails the preparation with a reason") {
    kernelbench_device dev{forged_config(tmp.path())};
    auto task = forged_task(R"({"times_ms": ["x"]})", built, "{}");
    auto ref = dev.prepare(task);
    REQUIRE_FALSE(ref);
    CHECK(describe(ref.error()).find("times_ms") != std::string::npos);
  }

  SECTION("a build flag that is not a boolean is a failed build") {
    kernelbench_device dev{forged_config(tmp.path())};
    auto task = forged_task(good_reference, R"({"built": "yes"})", "{}");
    auto b = dev.compile(task, "class ModelNew: pass\n", "c1");
    REQUIRE(b);
    CHECK_FALSE(b->ok);
    CHECK(b->output.find("built") != std::string::npos);
  }

  for (const auto& [candidate, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"error": 42})", "42"},
           {R"({"correct": "yes", "times_ms": [1.0]})", "correct"},
           {R"({"correct": true, "detail": 5, "times_ms": [1.0]})", "detail"},
           {R"({"correct": true, "times_ms": "fast"})", "times_ms"},
           {R"({"correct": true, "times_ms": [-1.0]})", "times_ms"},
           {R"({"correct": true, "times_ms": [{"ms": 1}]})", "times_ms"},
           {R"({"correct": false, "detail": ["a"]})", "detail"},
           {R"([1, 2])", "no JSON result"},
       }) {
    DYNAMIC_SECTION("candidate result " << candidate) {
      kernelbench_device dev{forged_config(tmp.path())};
      auto task = forged_task(good_reference, built, candidate);
      REQUIRE(dev.prepare(task));
      auto b = dev.compile(task, "class ModelNew: pass\n", "c1");
      REQUIRE(b);
      REQUIRE(b->ok);
      auto v = dev.run(task, *b);
      REQUIRE(v);
      CHECK_FALSE(v->feasible);
      REQUIRE_FALSE(v->gates.empty());
      CHECK(v->gates.back().gate == gate_correctness);
      CHECK_FALSE(v->gates.back().passed);
      CHECK(v->gates.back().detail.find(field) != std::string::npos);
      dev.discard(*b);
    }
  }
}

TEST_CASE("The hostile KernelBench corpus: what the CPU can judge gets its verdict",
          "[hardware][kernelbench][hostile]") {
  auto relu = kb_problem("19_ReLU.py");
  auto hostile = [&](const std::string& name) {
    auto text = read_text(test::source_dir / "tests/hardware/hostile/kernelbench" / name);
    if (!text)
      FAIL("cannot read " << name);
    return *text;
  };
  // Refused by the gate: timing patched from Python in fullwidth letters, and from the extension's
  // C++ through the Python C API.
  auto fullwidth = hack_check_python(relu, hostile("elapsed_time_fullwidth.py"));
  INFO(fullwidth.detail);
  CHECK_FALSE(fullwidth.passed);
  CHECK(fullwidth.detail.find("'setattr' is not allowed") != std::string::npos);
  CHECK(fullwidth.detail.find("'.elapsed_time' is not allowed") != std::string::npos);
  auto pyrun = hack_check_python(relu, hostile("pyrun_from_cpp.py"));
  INFO(pyrun.detail);
  CHECK_FALSE(pyrun.passed);
  CHECK(pyrun.detail.find("'PyRun_SimpleString' is not allowed (the Python C API)") != std::string::npos);
  // Through the gate, to be judged on the GPU (tests/gpu): zeros, a cache by identity.
  for (const auto* name : {"zeros_softmax.py", "identity_cache.py"}) {
    auto r = run_python_gate({}, hostile(name));
    REQUIRE(r);
    INFO(name);
    CHECK(r->violations.empty());
    CHECK(r->bypass.empty());
  }

  // Bypasses: through the gate, then the `bypass` verdict from run(), unless the campaign allows them.
  kforge::test::temp_dir tmp;
  const std::string good_reference = R"({"times_ms": [1.0, 1.25, 1.5], "device_name": "forged"})";
  const std::string timed = R"({"correct": true, "detail": "5/5 trials match", "times_ms": [0.5, 0.5, 0.5]})";
  for (const auto* name : {"torch_only.py", "except_fallback.py"}) {
    auto source = hostile(name);
    CHECK(hack_check_python(relu, source).passed);
    for (bool reject : {true, false}) {
      auto config = forged_config(tmp.path());
      config.reject_bypass = reject;
      kernelbench_device dev{config};
      auto task = forged_task(good_reference, R"({"built": true})", timed);
      REQUIRE(dev.prepare(task));
      auto b = dev.compile(task, source, "c1");
      REQUIRE(b);
      REQUIRE(b->ok);
      auto v = dev.run(task, *b);
      REQUIRE(v);
      INFO(name << " reject " << reject << ": " << v->failed_gate);
      if (reject) {
        CHECK(v->failed_gate == gate_bypass);
        CHECK_FALSE(v->feasible);
        CHECK_FALSE(v->is_timed());
      } else {
        CHECK(v->is_timed());
      }
      dev.discard(*b);
    }
  }
  // The harness's own check (no extension function ran in a trial) is a bypass too.
  kernelbench_device dev{forged_config(tmp.path())};
  auto task =
      forged_task(good_reference, R"({"built": true})",
                  R"({"correct": true, "times_ms": [0.5], "bypass": "trial 0: no extension function ran"})");
  REQUIRE(dev.prepare(task));
  auto b = dev.compile(task, "class ModelNew: pass\n", "c2");
  REQUIRE(b);
  auto v = dev.run(task, *b);
  REQUIRE(v);
  CHECK(v->failed_gate == gate_bypass);
  CHECK(v->gates.back().detail.find("no extension function ran") != std::string::npos);
  dev.discard(*b);
}
