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
