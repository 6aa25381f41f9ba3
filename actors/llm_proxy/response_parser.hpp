#pragma once

// Takes candidate kernels out of an LLM's reply text. Pure functions, no CAF
// types; fuzzed by tests/actors/response_parser_test.cpp.

#include <string>
#include <string_view>
#include <vector>

namespace kforge::actors {

/// What the parser found in one reply.
struct parsed_kernel {
  bool usable = false;  ///< a kernel that defines `function` was found
  std::string source;   ///< the kernel (usable) or the start of the reply (for the record)
  std::string problem;  ///< why it is not usable: the "parse" gate's detail; empty when usable
};

/// Limits of the parser, so hostile or huge replies stay cheap.
struct parse_limits {
  std::size_t max_reply_bytes = 256 * 1024;  ///< longer replies are cut here before parsing
  std::size_t max_kernel_bytes = 64 * 1024;  ///< a longer kernel is refused
  std::size_t problem_excerpt = 160;         ///< characters of the reply quoted in `problem`
};

/// One fenced block of a Markdown reply: its info string (language) and body.
struct fenced_block {
  std::string language;  ///< lower-case first word of the info string; empty if none
  std::string body;
  bool closed = true;  ///< false when the reply ended inside the block (truncated reply)
};

/// The fenced code blocks (``` or ~~~, three or more) of `text`, in order.
[[nodiscard]] std::vector<fenced_block> fenced_blocks(std::string_view text);

/// The kernel in `reply` for a task whose kernels define `function` (the name in the task's
/// signature). Prefers the last closed C/C++ block (or unlabelled block) that mentions
/// `function`; without fences, the whole reply if it looks like C++. A block in another
/// language, a truncated block, or no mention of `function` gives usable = false with a
/// problem that names why. Never throws; any byte sequence is valid input.
[[nodiscard]] parsed_kernel parse_kernel(std::string_view reply, std::string_view function,
                                         const parse_limits& limits = {});

/// The ModelNew file in `reply`, for a KernelBench task: the last closed ```python (or ```py,
/// or unlabelled) block that defines `class ModelNew`; without fences, the whole reply if it
/// defines it. A truncated block, blocks in other languages only, or no ModelNew give
/// usable = false with a problem that names why. Never throws.
[[nodiscard]] parsed_kernel parse_model_new(std::string_view reply, const parse_limits& limits = {});

/// The model's own account of a reply, from its "Technique:" and "Optimization:" lines
/// (the reply format of configs/prompts asks for both, outside the code block).
struct reply_notes {
  std::string technique;     ///< the catalogue id or the name of the technique it applied; empty if none
  std::string optimization;  ///< one line: what it changed; empty if none
};

/// The notes of `reply`: the last "Technique:" and "Optimization:" lines outside fenced blocks
/// (case-insensitive key, optional Markdown emphasis or list marker before it). Values are cut
/// to `max_chars` and control characters replaced, so a hostile reply stays a short line.
[[nodiscard]] reply_notes parse_notes(std::string_view reply, std::size_t max_chars = 200);

/// The function name of a C++ declaration such as "void gemv(const float* A, ...)": the
/// identifier before the first '('; empty if there is none.
[[nodiscard]] std::string function_name(std::string_view signature);

}  // namespace kforge::actors
