#pragma once

#include "memory/records.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

// Records with every field set to a non-default value, and field-by-field checks,
// shared by the memory tests.
namespace kforge::test {

/// A campaign with every field set.
inline memory::campaign_record sample_campaign(const std::string& id = "camp-1") {
  memory::campaign_record r;
  r.id = id;
  r.config_path = "configs/campaigns/cpu.toml";
  r.config_hash = std::string(64, 'c');
  r.config_text = "[campaign]\nname = \"caf\u00e9 \u2713\"\n";
  r.status = "stopped";
  r.seed = std::numeric_limits<uint64_t>::max();
  r.evaluations = 1234;
  r.created_ms = 1700000000000;
  r.updated_ms = 1700000000999;
  r.wall_ms = 12345.625;
  return r;
}

/// A task with every field set.
inline memory::task_record sample_task(const std::string& campaign = "camp-1",
                                       const std::string& task_id = "softmax") {
  memory::task_record r;
  r.campaign = campaign;
  r.task_id = task_id;
  r.definition_hash = std::string(64, 'd');
  r.family = "reduction";
  r.backend = "cpu";
  r.phase = "refine";
  r.stop_reason = "plateau";
  r.best_hash = std::string(64, 'b');
  r.best_latency_ns = 1520.5;
  r.reference_latency_ns = 9000.25;
  r.evaluations = 40;
  r.feasible = 31;
  r.step = 17;
  r.since_improvement = 3;
  r.reward_count = 12;
  r.reward_mean = -0.125;
  r.reward_m2 = std::numeric_limits<double>::infinity();
  r.updated_ms = -5;
  return r;
}

/// A candidate with every field set, including a verdict with gates and timing.
inline memory::candidate_record sample_candidate(const std::string& hash = std::string(64, 'a'),
                                                 const std::string& campaign = "camp-1",
                                                 const std::string& task_id = "softmax", int64_t seq = 7) {
  memory::candidate_record r;
  r.hash = hash;
  r.campaign = campaign;
  r.task_id = task_id;
  r.seq = seq;
  r.source = std::string{"#define VEC 8\nvoid k(const float* x) { /* \xce\xbb */ }\n"} +
             std::string(1, '\0') + "tail";
  r.parents = {std::string(64, 'p'), std::string(64, 'q')};
  r.stage = "refine";
  r.policy = "llm";
  r.model = "gpt-x";
  r.context_ids = {"mem-1", "mem-2", "mem-3"};
  r.knobs = {{"VEC", 8}, {"TILE", -64}};
  r.optimization = "VEC 4->8";
  r.verdict.feasible = true;
  r.verdict.failed_gate = "latency";
  r.verdict.gates = {
      {"hack", true, ""}, {"compile", true, "warning: unused \"x\"\n"}, {"latency", false, "timeout"}};
  r.verdict.timing = {1500.5, 1400.25, 1510.75, 12.5, 100};
  r.verdict.max_abs_error = 1.5e-7;
  r.verdict.compile_ms = 812.5;
  r.verdict.run_ms = 95.25;
  r.verdict.device = "cpu";
  r.speedup_vs_ref = 5.92;
  r.speedup_vs_parent = std::numeric_limits<double>::quiet_NaN();
  r.reward = -1;
  r.perf_state = "softmax|memory|eff2";
  r.device = "cpu";
  r.created_ms = 1700000000123;
  return r;
}

/// A memory item with every field set.
inline memory::memory_item sample_memory_item(const std::string& id = "mem-1") {
  memory::memory_item r;
  r.id = id;
  r.kind = "insight";
  r.family = "reduction";
  r.state = "softmax|memory|eff2";
  r.tags = {"vectorize", "tiling"};
  r.text = "Vectorize the inner loop by 8 on AVX2.";
  r.payload = R"({"knobs":{"VEC":8}})";
  r.q1 = 0.75;
  r.q2 = -0.5;
  r.visits1 = 9;
  r.visits2 = 4;
  r.source_tasks = {"softmax", "layernorm"};
  r.created_ms = 1;
  r.updated_ms = 2;
  return r;
}

/// An LLM call with every field set.
inline memory::llm_call_record sample_llm_call(const std::string& request_hash = std::string(64, 'r')) {
  memory::llm_call_record r;
  r.request_hash = request_hash;
  r.campaign = "camp-1";
  r.task_id = "softmax";
  r.endpoint = "http://127.0.0.1:8000/v1";
  r.model = "gpt-x";
  r.tokens_in = 2048;
  r.tokens_out = 512;
  r.latency_ms = 1234.5;
  r.cost = 0.0125;
  r.outcome = "ok";
  r.attempts = 3;
  r.response = "```cpp\nvoid k();\n```";
  r.created_ms = 99;
  r.stage = "refine";
  r.errors = {"vllm: http 429", "vllm: transport: read: timeout"};
  r.choice = "ucb vllm=1.2 hosted=0.9";
  r.kernels = 2;
  r.usable = 1;
  r.system_text = std::string(64, 's');
  r.user_text = std::string(64, 'u');
  return r;
}

/// Checks two doubles for equality, NaN equal to NaN.
inline void check_same(double a, double b) {
  if (std::isnan(a)) {
    CHECK(std::isnan(b));
  } else {
    CHECK(a == b);
  }
}

/// Checks every field of two records for equality (the same for each overload below).
inline void check_same(const memory::campaign_record& a, const memory::campaign_record& b) {
  CHECK(a.id == b.id);
  CHECK(a.config_path == b.config_path);
  CHECK(a.config_hash == b.config_hash);
  CHECK(a.config_text == b.config_text);
  CHECK(a.status == b.status);
  CHECK(a.seed == b.seed);
  CHECK(a.evaluations == b.evaluations);
  CHECK(a.created_ms == b.created_ms);
  CHECK(a.updated_ms == b.updated_ms);
  check_same(a.wall_ms, b.wall_ms);
}

inline void check_same(const memory::task_record& a, const memory::task_record& b) {
  CHECK(a.campaign == b.campaign);
  CHECK(a.task_id == b.task_id);
  CHECK(a.definition_hash == b.definition_hash);
  CHECK(a.family == b.family);
  CHECK(a.backend == b.backend);
  CHECK(a.phase == b.phase);
  CHECK(a.stop_reason == b.stop_reason);
  CHECK(a.best_hash == b.best_hash);
  check_same(a.best_latency_ns, b.best_latency_ns);
  check_same(a.reference_latency_ns, b.reference_latency_ns);
  CHECK(a.evaluations == b.evaluations);
  CHECK(a.feasible == b.feasible);
  CHECK(a.step == b.step);
  CHECK(a.since_improvement == b.since_improvement);
  CHECK(a.reward_count == b.reward_count);
  check_same(a.reward_mean, b.reward_mean);
  check_same(a.reward_m2, b.reward_m2);
  CHECK(a.updated_ms == b.updated_ms);
}

inline void check_same(const kforge::verdict& a, const kforge::verdict& b) {
  CHECK(a.feasible == b.feasible);
  CHECK(a.failed_gate == b.failed_gate);
  REQUIRE(a.gates.size() == b.gates.size());
  for (std::size_t i = 0; i < a.gates.size(); ++i) {
    CHECK(a.gates[i].gate == b.gates[i].gate);
    CHECK(a.gates[i].passed == b.gates[i].passed);
    CHECK(a.gates[i].detail == b.gates[i].detail);
  }
  check_same(a.timing.median_ns, b.timing.median_ns);
  check_same(a.timing.min_ns, b.timing.min_ns);
  check_same(a.timing.mean_ns, b.timing.mean_ns);
  check_same(a.timing.stddev_ns, b.timing.stddev_ns);
  CHECK(a.timing.count == b.timing.count);
  check_same(a.max_abs_error, b.max_abs_error);
  check_same(a.compile_ms, b.compile_ms);
  check_same(a.run_ms, b.run_ms);
  CHECK(a.device == b.device);
}

inline void check_same(const memory::candidate_record& a, const memory::candidate_record& b) {
  CHECK(a.hash == b.hash);
  CHECK(a.campaign == b.campaign);
  CHECK(a.task_id == b.task_id);
  CHECK(a.seq == b.seq);
  CHECK(a.source == b.source);
  CHECK(a.parents == b.parents);
  CHECK(a.stage == b.stage);
  CHECK(a.policy == b.policy);
  CHECK(a.model == b.model);
  CHECK(a.context_ids == b.context_ids);
  CHECK(a.knobs == b.knobs);
  CHECK(a.optimization == b.optimization);
  check_same(a.verdict, b.verdict);
  check_same(a.speedup_vs_ref, b.speedup_vs_ref);
  check_same(a.speedup_vs_parent, b.speedup_vs_parent);
  check_same(a.reward, b.reward);
  CHECK(a.perf_state == b.perf_state);
  CHECK(a.device == b.device);
  CHECK(a.created_ms == b.created_ms);
}

inline void check_same(const memory::memory_item& a, const memory::memory_item& b) {
  CHECK(a.id == b.id);
  CHECK(a.kind == b.kind);
  CHECK(a.family == b.family);
  CHECK(a.state == b.state);
  CHECK(a.tags == b.tags);
  CHECK(a.text == b.text);
  CHECK(a.payload == b.payload);
  check_same(a.q1, b.q1);
  check_same(a.q2, b.q2);
  CHECK(a.visits1 == b.visits1);
  CHECK(a.visits2 == b.visits2);
  CHECK(a.source_tasks == b.source_tasks);
  CHECK(a.created_ms == b.created_ms);
  CHECK(a.updated_ms == b.updated_ms);
}

inline void check_same(const memory::llm_call_record& a, const memory::llm_call_record& b) {
  CHECK(a.request_hash == b.request_hash);
  CHECK(a.campaign == b.campaign);
  CHECK(a.task_id == b.task_id);
  CHECK(a.endpoint == b.endpoint);
  CHECK(a.model == b.model);
  CHECK(a.tokens_in == b.tokens_in);
  CHECK(a.tokens_out == b.tokens_out);
  check_same(a.latency_ms, b.latency_ms);
  check_same(a.cost, b.cost);
  CHECK(a.outcome == b.outcome);
  CHECK(a.attempts == b.attempts);
  CHECK(a.response == b.response);
  CHECK(a.created_ms == b.created_ms);
  CHECK(a.stage == b.stage);
  CHECK(a.errors == b.errors);
  CHECK(a.choice == b.choice);
  CHECK(a.kernels == b.kernels);
  CHECK(a.usable == b.usable);
  CHECK(a.system_text == b.system_text);
  CHECK(a.user_text == b.user_text);
  CHECK(a.system_prompt == b.system_prompt);
  CHECK(a.user_prompt == b.user_prompt);
}

}  // namespace kforge::test
