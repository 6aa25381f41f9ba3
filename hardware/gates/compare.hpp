#pragma once

#include "runtime/base/task.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kforge::hardware {

/// The result of comparing one output tensor of a candidate with the reference.
struct comparison {
  bool passed = true;        ///< every element within tolerance
  int64_t mismatches = 0;    ///< elements outside the tolerance (non-finite ones included)
  int64_t non_finite = 0;    ///< mismatches where the candidate gave NaN or Inf
  double max_abs_error = 0;  ///< largest |got - expected| over elements where both are finite
  std::string detail;        ///< empty if passed; else count, first position with values, max error
};

/// Compares `got` with `expected` element by element: an element passes if
/// |got - expected| <= atol + rtol * |expected|; NaN or Inf in `got` where the
/// reference is finite fails; a non-finite reference value must be matched
/// exactly (NaN by NaN, Inf by the same Inf). The sizes must both equal
/// `spec.elements()`. The detail reads "output c: 3 of 1000 elements differ
/// (atol 1e-06, rtol 1e-06); first at [1, 17]: got 0.5, expected 0.25; max
/// abs error 0.25". Pure; runs in the trusted process.
[[nodiscard]] comparison compare_tensor(const tensor_spec& spec, const std::vector<float>& got,
                                        const std::vector<float>& expected, double atol, double rtol);

/// The checks beyond allclose, for an output that passed compare_tensor (finite values only):
/// - the relative error norm |got - expected|_2 / |expected|_2 must be <= max_rel_error;
/// - magnitude: | |got|_2 - |expected|_2 | / |expected|_2 must be <= max_rel_error;
/// - near-constant: where the reference varies (standard deviation above 1e-6 x (|mean| + RMS)),
///   the output's standard deviation must be at least a tenth of the reference's.
/// So zeros for a wide softmax, each value under atol, fail. max_rel_error 0 turns the first two
/// off (an all-zero reference skips them); the third always applies. The detail reads "output c:
/// relative error norm 1 above 0.001 (the reference's norm 0.0016, the output's 0)". Pure.
[[nodiscard]] comparison compare_norms(const tensor_spec& spec, const std::vector<float>& got,
                                       const std::vector<float>& expected, double max_rel_error);

/// Checks that a kernel left input `got` exactly as the verifier generated it
/// (`expected`), bit for bit. The detail reads "input a: 3 of 1000 elements
/// changed; first at [0, 17]: 0.5, generated 0.25" (mismatches counts the
/// changed elements; max_abs_error is not used). Pure; runs in the trusted process.
[[nodiscard]] comparison compare_input(const tensor_spec& spec, const std::vector<float>& got,
                                       const std::vector<float>& expected);

/// Formats the row-major position `flat` of `shape` as "[i, j, k]".
[[nodiscard]] std::string format_index(const std::vector<int64_t>& shape, int64_t flat);

}  // namespace kforge::hardware
