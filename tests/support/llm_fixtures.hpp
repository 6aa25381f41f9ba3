#pragma once

// Builders shared by the tests of the LLM path (actors layer): the small add task and the
// project's prompt templates.

#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/messages.hpp"
#include "hardware/tasks/task_loader.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>

namespace kforge::test {

/// tests/hardware/data/add_4x250.toml, alone in a task map.
inline std::shared_ptr<const kforge::task_map> add_task_map() {
  auto loaded =
      hardware::load_task(std::filesystem::path{KFORGE_SOURCE_DIR} / "tests/hardware/data/add_4x250.toml");
  REQUIRE(loaded);
  auto tasks = std::make_shared<kforge::task_map>();
  tasks->emplace(loaded->id, *loaded);
  return tasks;
}

/// The prompt templates of configs/prompts.
inline std::shared_ptr<const actors::prompt_builder> default_prompts() {
  auto b = actors::prompt_builder::load(std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/prompts");
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
