#pragma once

// Builders shared by the tests of the LLM path (actors layer): the small add task and the
// project's prompt templates.

#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/messages.hpp"
#include "tests/support/task_files.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>

namespace kforge::test {

/// tests/hardware/data/add_4x250.toml, alone in a task map.
inline std::shared_ptr<const kforge::task_map> add_task_map() {
  auto task = add_task();
  auto tasks = std::make_shared<kforge::task_map>();
  tasks->emplace(task.id, std::move(task));
  return tasks;
}

/// The prompt templates of configs/prompts.
inline std::shared_ptr<const actors::prompt_builder> default_prompts() {
  auto b = actors::prompt_builder::load(source_dir / "configs/prompts");
  REQUIRE(b);
  return std::make_shared<const actors::prompt_builder>(std::move(*b));
}

/// A draft request for `k` kernels of the add task in campaign "c".
inline actors::policy_request draft_request(uint64_t seed = 1, int32_t k = 2) {
  actors::policy_request req;
  req.campaign = "c";
  req.task_id = "add_4x250";
  req.stage = "draft";
  req.k = k;
  req.seed = seed;
  return req;
}

}  // namespace kforge::test
