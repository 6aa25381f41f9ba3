#include "actors/llm_proxy/prompt_builder.hpp"

#include "runtime/base/error.hpp"
#include "tests/support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace kforge;
using namespace kforge::actors;

TEST_CASE("prompt templates substitute variables and conditional sections", "[actors]") {
  auto t = prompt_template::parse("a {{x}} b{{#y}} y={{y}}{{/y}}{{^y}} no y{{/y}}{{! note }}.", "t.md",
                                  {"x", "y"});
  REQUIRE(t);
  CHECK(t->render({{"x", "1"}}) == "a 1 b no y.");
  CHECK(t->render({{"x", "1"}, {"y", "2"}}) == "a 1 b y=2.");
}

TEST_CASE("a prompt template error names file, line and column", "[actors]") {
  SECTION("unknown variable") {
    auto t = prompt_template::parse("line one\n  {{nope}}", "draft.md", {"x"});
    REQUIRE_FALSE(t);
    CHECK(describe(t.error()).find("draft.md:2:3: unknown variable 'nope'") != std::string::npos);
  }
  SECTION("unclosed tag") {
    auto t = prompt_template::parse("ab {{x", "d.md", {"x"});
    REQUIRE_FALSE(t);
    CHECK(describe(t.error()).find("d.md:1:4: unclosed tag") != std::string::npos);
  }
  SECTION("unclosed section") {
    auto t = prompt_template::parse("{{#x}}\nbody", "d.md", {"x"});
    REQUIRE_FALSE(t);
    CHECK(describe(t.error()).find("d.md:1:1: section 'x' is never closed") != std::string::npos);
  }
  SECTION("a close tag that matches nothing") {
    auto t = prompt_template::parse("{{#x}}{{/y}}", "d.md", {"x", "y"});
    REQUIRE_FALSE(t);
    CHECK(describe(t.error()).find("d.md:1:7:") != std::string::npos);
  }
}

TEST_CASE("the shipped prompts build draft and refine prompts from the task and feedback", "[actors]") {
  auto builder = prompt_builder::load(std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/prompts");
  REQUIRE(builder);
  auto task = test::knob_task("gemv_x", "gemv");
  task.reference_source = "void k(const float* x, float* y, int n) { /* reference */ }";
  policy_request req;
  req.task_id = task.id;
  req.stage = "draft";
  memory::memory_item item;
  item.kind = "optimization";
  item.text = "unroll the inner loop by 4";
  req.context = {item};
  auto draft = builder->build(task, req);
  CHECK(draft.system.find(task.signature) != std::string::npos);
  CHECK(draft.system.find("No I/O") != std::string::npos);
  CHECK(draft.user.find("Task id: gemv_x") != std::string::npos);
  CHECK(draft.user.find("/* reference */") != std::string::npos);
  CHECK(draft.user.find("x: float32 [16]") != std::string::npos);
  CHECK(draft.user.find("unroll the inner loop by 4") != std::string::npos);
  CHECK(draft.user.find("Verifier feedback") == std::string::npos);

  req.stage = "refine";
  req.parent = {{"h", "void k() { /* parent */ }", {}, 2500, "memory-bound"}};
  req.feedback = {"draft: failed correctness (max error 0.5 at index 7)", "llm-refine: ok, 2.5 us"};
  auto refine = builder->build(task, req);
  CHECK(refine.user.find("/* parent */") != std::string::npos);
  CHECK(refine.user.find("runs in 2.5 us") != std::string::npos);
  CHECK(refine.user.find("memory-bound") != std::string::npos);
  CHECK(refine.user.find("max error 0.5 at index 7") != std::string::npos);
}

TEST_CASE("loading prompts from a directory without templates names the file", "[actors]") {
  auto builder = prompt_builder::load("/nonexistent-kforge-prompts");
  REQUIRE_FALSE(builder);
  CHECK(describe(builder.error()).find("/nonexistent-kforge-prompts/system.md") != std::string::npos);
}

TEST_CASE("the refine prompt carries the measured numbers, the reply format and whole feedback", "[actors]") {
  auto builder = prompt_builder::load(std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/prompts");
  REQUIRE(builder);
  auto task = test::knob_task("row_sum_x", "reduction");
  task.bytes = 2.0e6;  // 2 MB per call
  task.flops = 5.0e5;
  policy_request req;
  req.task_id = task.id;
  req.stage = "refine";
  req.reference_ns = 400000;  // 400 us
  req.peak_gbps = 40;
  req.peak_gflops = 100;
  req.roofline_ns = 50000;  // 2 MB at 40 GB/s
  req.bound = "memory";
  req.parent = {{"h", "void k() { /* parent */ }", {}, 100000, "reduction|memory|eff3|roofline"}};
  std::string compiler =
      "k.cpp:3:5: error: 'foo' was not declared in this scope\n"
      "    3 |     foo(x);\n"
      "      |     ^~~\n"
      "k.cpp:9:1: error: expected ';' before '}' token";
  req.feedback = {"Unrolled by 8: failed the compile gate (" + compiler + ")"};
  memory::memory_item step;
  step.kind = "trajectory";
  step.text =
      "reduction task row_sum_y, refine step \"Prefetch ahead\": 0.200 ms -> 0.100 ms, 2.00x over "
      "the parent";
  req.context = {step};
  auto p = builder->build(task, req);
  INFO(p.user);
  CHECK(p.user.find("The reference implementation takes 400 us per call") != std::string::npos);
  CHECK(p.user.find("runs in 100 us, 4.00x the reference") != std::string::npos);
  // 2 MB in 100 us = 20 GB/s; 0.5 MFLOP in 100 us = 5 GFLOP/s; roofline 50 us of 100 us.
  CHECK(p.user.find("It achieves 20 GB/s of the 40 GB/s measured and 5 GFLOP/s of the 100 GFLOP/s peak: 50% "
                    "of the memory roofline") != std::string::npos);
  CHECK(p.user.find("at least 50 us: it is memory-bound") != std::string::npos);
  // The compiler's message whole, every line of it, in a text block after the candidate's line.
  CHECK(p.user.find("- Unrolled by 8: failed the compile gate (k.cpp:3:5: error: 'foo' was not declared in "
                    "this scope\n```text\n    3 |     foo(x);\n") != std::string::npos);
  CHECK(p.user.find("k.cpp:9:1: error: expected ';' before '}' token)") != std::string::npos);
  CHECK(p.user.find("- [refine step] reduction task row_sum_y, refine step \"Prefetch ahead\": 0.200 ms -> "
                    "0.100 ms, 2.00x over the parent") != std::string::npos);
  // The reply format the parser reads, outside the code block.
  CHECK(p.user.find("\nOptimization: <one line") != std::string::npos);
  CHECK(p.user.find("\nTechnique: <") != std::string::npos);
  CHECK(p.system.find("Optimization:") != std::string::npos);
  auto draft_req = req;
  draft_req.stage = "draft";
  draft_req.parent.clear();
  auto d = builder->build(task, draft_req);
  CHECK(d.user.find("The reference implementation takes 400 us per call") != std::string::npos);
  CHECK(d.user.find("\nOptimization: <one line") != std::string::npos);
  CHECK(d.user.find("runs in") == std::string::npos);
  SECTION("without measurements the sentences are left out") {
    policy_request bare = req;
    bare.reference_ns = 0;
    bare.roofline_ns = 0;
    bare.peak_gbps = 0;
    bare.peak_gflops = 0;
    bare.parent.front().perf_state.clear();
    auto b = builder->build(task, bare);
    CHECK(b.user.find("reference implementation takes") == std::string::npos);
    CHECK(b.user.find("roofline") == std::string::npos);
    CHECK(b.user.find("runs in 100 us.\nIt achieves 20 GB/s and 5 GFLOP/s:\n```cpp") != std::string::npos);
  }
}
