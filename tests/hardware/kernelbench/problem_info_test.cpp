// Every KernelBench problem loads as a task: family, operators and input shapes read from
// the source (fixtures of several shapes written for these tests), and, when
// KFORGE_KERNELBENCH_DIR names a KernelBench checkout, every problem of its levels 1-3.
#include "hardware/kernelbench/problem_info.hpp"
#include "hardware/kernelbench/kernelbench.hpp"
#include "hardware/tasks/task_loader.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

using namespace kforge;
using namespace kforge::hardware;

namespace {

const std::filesystem::path kb_data_dir =
    std::filesystem::path{KFORGE_SOURCE_DIR} / "tests/hardware/data/kernelbench";

task_def load(const std::string& rel) {
  auto t = load_kernelbench_problem(kb_data_dir / rel);
  if (!t)
    FAIL(describe(t.error()));
  return *t;
}

std::vector<int64_t> shape(const task_def& t, std::size_t i) {
  REQUIRE(t.inputs.size() > i);
  return t.inputs[i].shape;
}

}  // namespace

TEST_CASE("a KernelBench problem without a generator loads for a model policy, with family and shapes",
          "[hardware][kernelbench]") {
  SECTION("a level-1 matmul: two inputs, no template, no knobs") {
    auto t = load("level1/1_Square_matrix_multiplication_.py");
    CHECK(t.id == "kb1_1_square_matrix_multiplication");
    CHECK(t.family == "kb_matmul");
    CHECK(t.template_source.empty());
    CHECK(t.knobs.empty());
    CHECK(shape(t, 0) == std::vector<int64_t>{256, 256});
    CHECK(shape(t, 1) == std::vector<int64_t>{256, 256});
    CHECK(t.inputs[0].init == "normal");
    CHECK(t.bytes == 2 * 256 * 256 * 4);
    CHECK(t.description.find("kb_matmul: matmul") != std::string::npos);
    CHECK_FALSE(t.definition_hash.empty());
  }
  SECTION("a module with init args: the shape from a chained assignment, a power and a starred tuple") {
    auto t = load("level1/7_Conv_with_init_args.py");
    CHECK(t.family == "kb_conv");
    CHECK(shape(t, 0) == std::vector<int64_t>{4, 3, 32, 32});
    auto info = read_kernelbench_problem(t.reference_source, 1);
    CHECK(info.ops == std::vector<std::string>{"conv2d"});
    CHECK(info.init_args == std::vector<std::string>{"3", "8", "3", "2"});
  }
  SECTION("several inputs, named by their variables, with tuple sizes and randint's size argument") {
    auto t = load("level1/9_Rows_times_columns.py");
    CHECK(t.family == "kb_matmul");
    REQUIRE(t.inputs.size() == 4);
    CHECK(t.inputs[0].name == "A");
    CHECK(shape(t, 0) == std::vector<int64_t>{2, 16, 32});
    CHECK(shape(t, 1) == std::vector<int64_t>{2, 32, 8});
    CHECK(shape(t, 2) == std::vector<int64_t>{8});
    CHECK(shape(t, 3) == std::vector<int64_t>{2, 16});
  }
  SECTION("a level-2 fused chain is a fused family named after its main operator") {
    auto t = load("level2/3_Linear_Scale_Clamp_Softmax.py");
    CHECK(t.id == "kb2_3_linear_scale_clamp_softmax");
    CHECK(t.family == "kb_fused_matmul");
    CHECK(shape(t, 0) == std::vector<int64_t>{64, 128});
    auto info = read_kernelbench_problem(t.reference_source, 2);
    CHECK(info.ops == std::vector<std::string>{"linear", "clamp", "softmax"});
  }
  SECTION("a level-3 network: Model's forward, not a helper module's, decides") {
    auto t = load("level3/2_Small_residual_net.py");
    CHECK(t.family == "kb_network");
    CHECK(t.template_source.empty());  // the helper's `return F.relu(x)` is no ReLU problem
    CHECK(shape(t, 0) == std::vector<int64_t>{2, 3, 32, 32});
  }
  SECTION("a problem with a generator keeps it") {
    auto t = load("level1/19_ReLU.py");
    CHECK(t.family == "kb_elementwise");
    CHECK_FALSE(t.template_source.empty());
    CHECK(t.knobs.size() == 4);
  }
  SECTION("a glob over fixtures of every level loads them all") {
    auto all = load_tasks(kb_data_dir, {"level*/*.py"});
    REQUIRE(all);
    CHECK(all->size() == 9);
  }
}

TEST_CASE("constant expressions of problem files evaluate, and what is not constant does not",
          "[hardware][kernelbench]") {
  const std::vector<std::pair<std::string, std::string>> names = {{"n", "4"}, {"m", "n * 2"}};
  CHECK(eval_constant("m ** 2 // 3 + 1", names) == 22.0);
  CHECK(eval_constant("-(n - 6) * 1e-1", names).value() == Approx(0.2));
  CHECK(eval_constant("int(m / 3)", names) == 2.0);
  CHECK_FALSE(eval_constant("x + 1", names));
  CHECK_FALSE(eval_constant("torch.rand(3)", names));
  CHECK_FALSE(eval_constant("1 / 0", names));
  auto info = read_kernelbench_problem(
      "class Model:\n    def forward(self, x):\n        return x\n"
      "def get_inputs():\n    return [torch.rand(batch, 3)]\n",
      1);
  CHECK(info.inputs.empty());
  CHECK(info.unknown_inputs == 1);
}

TEST_CASE("every problem of a KernelBench checkout's levels 1-3 loads (KFORGE_KERNELBENCH_DIR)",
          "[hardware][kernelbench][checkout]") {
  const char* dir = std::getenv("KFORGE_KERNELBENCH_DIR");
  if (dir == nullptr || *dir == '\0') {
    WARN("skipped: KFORGE_KERNELBENCH_DIR is not set (point it at KernelBench/KernelBench of a checkout)");
    return;
  }
  for (const char* level : {"level1", "level2", "level3"}) {
    INFO(level);
    auto tasks = load_tasks(dir, {std::string{level} + "/*.py"});
    REQUIRE(tasks);
    std::size_t with_shapes = 0;
    for (const auto& t : *tasks) {
      CHECK(t.backend == "kernelbench");
      CHECK(t.family.rfind("kb_", 0) == 0);
      if (!t.inputs.empty())
        ++with_shapes;
    }
    CHECK(with_shapes == tasks->size());
    WARN(level << ": " << tasks->size() << " problems loaded, " << with_shapes << " with input shapes");
  }
}
