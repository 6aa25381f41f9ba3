#pragma once

// Which operator a KernelBench problem computes: kforge recognises the
// expression `forward` returns and has a candidate generator for each kind.

#include <optional>
#include <string>
#include <string_view>

namespace kforge::hardware {

/// What kforge recognised in a problem's `forward`.
struct kernelbench_op {
  std::string kind;        ///< "relu", "gelu", "softsign", ...
  std::string family;      ///< the template family: "kb_elementwise"
  std::string cuda_expr;   ///< CUDA expression of the element `v` and the parameters `p0`, `p1`
  std::string p0 = "0.0";  ///< Python expression (over `self`) of the first parameter
  std::string p1 = "0.0";  ///< Python expression of the second parameter
};

/// The recognised operator of a problem's source, or nullopt (the `return`
/// expression of `forward` matches none of the supported kinds).
[[nodiscard]] std::optional<kernelbench_op> recognise_kernelbench_op(std::string_view source);

/// The kinds recognise_kernelbench_op knows, for messages.
[[nodiscard]] std::string kernelbench_supported_kinds();

/// The expression `forward` returns (the first line after `def forward` that
/// starts with `return`), without spaces; "" when there is none.
[[nodiscard]] std::string forward_return(std::string_view source);

}  // namespace kforge::hardware
