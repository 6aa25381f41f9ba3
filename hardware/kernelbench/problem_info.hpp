#pragma once

// What a KernelBench problem is, read from its source without running it: the
// operator family of `forward` (for memory and prompts) and the shapes of the
// tensors `get_inputs()` makes, from the module's constants. Any problem of
// levels 1-3 gets a family; shapes are best effort (an input whose size is not
// a constant expression is left out and counted).

#include "runtime/base/task.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kforge::hardware {

/// What kforge read from a problem's source.
struct kernelbench_info {
  std::string family;            ///< "kb_matmul", "kb_conv", "kb_fused_conv", "kb_network", ...
  std::vector<std::string> ops;  ///< the operators `forward` applies, in order ("conv_transpose3d", "clamp")
  std::vector<tensor_spec> inputs;  ///< the tensors get_inputs() makes, in order, with their shapes
  int unknown_inputs = 0;           ///< tensors whose shape is not a constant expression
  std::vector<std::string>
      init_args;  ///< get_init_inputs()'s values as written (after evaluation when constant)
};

/// Reads `source` of a problem of `level` (0 when unknown).
[[nodiscard]] kernelbench_info read_kernelbench_problem(std::string_view source, int level);

/// The value of a constant Python integer / float expression over `names` (module
/// constants): + - * / // % ** and parentheses; nullopt when not constant.
[[nodiscard]] std::optional<double> eval_constant(
    std::string_view expr, const std::vector<std::pair<std::string, std::string>>& names);

}  // namespace kforge::hardware
