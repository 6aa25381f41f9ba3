// KernelBench tasks through the openai backend, on the CPU up to where a GPU is needed: the
// prompt in KernelBench's style (problem source, ModelNew contract, a load_inline example, the
// gate's rules), the mock model's ```python answer parsed into a ModelNew file the gate accepts.

#include "actors/llm_proxy/llm_proxy_actor.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/llm_proxy/response_parser.hpp"
#include "actors/system_config.hpp"
#include "hardware/kernelbench/problem.hpp"
#include "hardware/kernelbench/python_gate_run.hpp"
#include "tests/support/task_files.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;

namespace {

std::shared_ptr<const kforge::task_map> kb_tasks() {
  auto tasks = std::make_shared<kforge::task_map>();
  for (const char* f : {"level1/1_Square_matrix_multiplication_.py", "level1/19_ReLU.py",
                        "level2/3_Linear_Scale_Clamp_Softmax.py"}) {
    auto t = hardware::load_kernelbench_problem(test::source_dir / "tests/hardware/data/kernelbench" / f);
    REQUIRE(t);
    tasks->emplace(t->id, *t);
  }
  return tasks;
}

std::shared_ptr<const prompt_builder> prompts() {
  auto b = prompt_builder::load(test::source_dir / "configs/prompts");
  REQUIRE(b);
  REQUIRE(b->has_kernelbench_prompts());
  return std::make_shared<const prompt_builder>(std::move(*b));
}

}  // namespace

TEST_CASE("KernelBench prompts show the problem, the ModelNew contract, an example and the rules",
          "[actors][llm][kernelbench]") {
  auto tasks = kb_tasks();
  const auto& matmul = tasks->at("kb1_1_square_matrix_multiplication");
  policy_request req;
  req.task_id = matmul.id;
  req.stage = "draft";
  auto p = prompts()->build(matmul, req);
  CHECK_THAT(p.system, Catch::Contains("class ModelNew"));
  CHECK_THAT(p.system, Catch::Contains("```python"));
  CHECK_THAT(p.system, Catch::Contains("load_inline"));
  CHECK_THAT(p.system, Catch::Contains("no CUDA streams, events, graphs"));
  CHECK_THAT(p.user, Catch::Contains("Task id: kb1_1_square_matrix_multiplication (family kb_matmul)"));
  CHECK_THAT(p.user, Catch::Contains(matmul.reference_source.substr(0, 200)));
  CHECK_THAT(p.user, Catch::Contains("from torch.utils.cpp_extension import load_inline"));
  CHECK_THAT(p.user, Catch::Contains("in0: float32 [256 x 256]"));
  CHECK_THAT(p.user, Catch::Contains("Reply with one ```python block"));
  CHECK(p.user.find("```cpp") == std::string::npos);
}

TEST_CASE("the reply parser takes a ModelNew file from a ```python answer and says why when it cannot",
          "[actors][llm][kernelbench]") {
  const std::string file = "import torch\nimport torch.nn as nn\n\nclass ModelNew(nn.Module):\n    pass\n";
  auto ok = parse_model_new("Here it is.\n\n```python\nprint('sketch')\n```\n\n```python\n" + file +
                            "```\nOptimization: fused\n");
  CHECK(ok.usable);
  CHECK(ok.source == file);
  CHECK(parse_model_new(file).usable);  // no fences, still a ModelNew file
  auto cut = parse_model_new("```python\n" + file);
  CHECK_FALSE(cut.usable);
  CHECK_THAT(cut.problem, Catch::Contains("truncated"));
  auto cpp = parse_model_new("```cpp\nvoid f() {}\n```\n");
  CHECK_FALSE(cpp.usable);
  CHECK_THAT(cpp.problem, Catch::Contains("code block in cpp, not Python"));
  CHECK_THAT(parse_model_new("```python\nclass Model(nn.Module):\n    pass\n```\n").problem,
             Catch::Contains("no code block defines class ModelNew"));
}

TEST_CASE("a KernelBench task gets a python-answer prompt end to end and its ModelNew passes the gate",
          "[actors][llm][kernelbench]") {
  auto tasks = kb_tasks();
  auto srv = mock::server::start(*tasks, {});
  REQUIRE(srv);
  actors::system_config sys_cfg{2};
  caf::actor_system sys{sys_cfg};
  llm_proxy_config cfg;
  cfg.policy = "openai";
  cfg.campaign = "c";
  cfg.prompts = prompts();
  endpoint_config ep;
  ep.name = "mock";
  ep.base_url = "http://localhost:" + std::to_string((*srv)->port()) + "/v1";
  ep.model = "mock-coder";
  ep.timeout_ms = 5000;
  cfg.llm.endpoints = {ep};
  auto proxy = spawn_llm_proxy(sys, tasks, cfg);
  caf::scoped_actor self{sys};
  for (const auto& [id, task] : *tasks) {
    INFO(id);
    policy_request req;
    req.campaign = "c";
    req.task_id = id;
    req.stage = "draft";
    req.k = 2;
    req.seed = 7;
    policy_reply reply;
    caf::error err;
    self->request(proxy, caf::infinite, propose_atom_v, req)
        .receive([&](policy_reply& r) { reply = std::move(r); }, [&](caf::error& e) { err = e; });
    REQUIRE_FALSE(err);
    REQUIRE(reply.proposals.size() == 2);
    for (const auto& p : reply.proposals) {
      CHECK(p.parse_error.empty());
      CHECK_THAT(p.source, Catch::Contains("class ModelNew("));
      auto gate = hardware::hack_check_python(task, p.source);
      INFO(gate.detail);
      CHECK(gate.passed);  // the next step, compile and run, needs the GPU
    }
  }
  // requests, not answered: the client can read a reply before the server's write handler counts it.
  CHECK((*srv)->stats().requests == 3);
  caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
}
