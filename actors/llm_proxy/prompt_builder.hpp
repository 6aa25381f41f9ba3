#pragma once

// Builds the draft and refine prompts of the openai backend from the task,
// the retrieved memory items, the parent kernel and the verifier's feedback.
// Templates live in configs/prompts/ (system.md, draft.md, refine.md) and use
// the language of prompt_template.hpp. Plain class, no CAF actor types.

#include "actors/llm_proxy/prompt_template.hpp"
#include "actors/messages.hpp"
#include "runtime/base/task.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <set>
#include <string>

namespace kforge::actors {

/// The two messages of one chat request.
struct prompt {
  std::string system;
  std::string user;
};

/// Renders prompts; immutable after loading, so one instance serves every task.
class prompt_builder {
 public:
  /// The variables templates may use.
  [[nodiscard]] static const std::set<std::string>& variables();

  /// Loads system.md, draft.md and refine.md from `dir`, and kernelbench_system.md,
  /// kernelbench_draft.md and kernelbench_refine.md where `dir` has them (the prompts of
  /// KernelBench tasks, which answer with a ModelNew Python file; without them those tasks get
  /// the three generic ones). Errors: errc::bad_config naming the file (unreadable, or one
  /// of the kernelbench_ three missing) or file:line:column (template error).
  [[nodiscard]] static caf::expected<prompt_builder> load(const std::filesystem::path& dir);

  /// Makes a builder from template texts (tests); names in errors are "system.md" etc.
  [[nodiscard]] static caf::expected<prompt_builder> from_text(const std::string& system,
                                                               const std::string& draft,
                                                               const std::string& refine);

  /// The prompt for `request` (stage draft or refine) on `task`, asking for `n` kernels
  /// (one per completion; n is informational). KernelBench tasks use the kernelbench_ set when
  /// it was loaded.
  [[nodiscard]] prompt build(const kforge::task_def& task, const policy_request& request) const;

  /// True if the KernelBench prompts were loaded.
  [[nodiscard]] bool has_kernelbench_prompts() const noexcept { return has_kernelbench_; }

 private:
  prompt_builder(prompt_template system, prompt_template draft, prompt_template refine)
      : system_(std::move(system)), draft_(std::move(draft)), refine_(std::move(refine)) {}
  prompt_template system_;
  prompt_template draft_;
  prompt_template refine_;
  bool has_kernelbench_ = false;
  prompt_template kb_system_;
  prompt_template kb_draft_;
  prompt_template kb_refine_;
};

/// The backend's constraints as prompt text (headers allowed, what the hack gate rejects).
[[nodiscard]] std::string backend_constraints(const std::string& backend);

}  // namespace kforge::actors
