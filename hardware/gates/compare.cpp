#include "hardware/gates/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace kforge::hardware {

namespace {

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

bool same_non_finite(float got, float want) {
  if (std::isnan(want))
    return std::isnan(got);
  return got == want;  // +Inf or -Inf
}

}  // namespace

std::string format_index(const std::vector<int64_t>& shape, int64_t flat) {
  std::vector<int64_t> index(shape.size(), 0);
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] <= 0)
      continue;
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::string out = "[";
  for (std::size_t d = 0; d < index.size(); ++d)
    out += (d == 0 ? "" : ", ") + std::to_string(index[d]);
  return out + "]";
}

comparison compare_tensor(const tensor_spec& spec, const std::vector<float>& got,
                          const std::vector<float>& expected, double atol, double rtol) {
  comparison result;
  if (got.size() != expected.size()) {
    result.passed = false;
    result.detail = "output " + spec.name + ": " + std::to_string(got.size()) + " elements, expected " +
                    std::to_string(expected.size());
    return result;
  }
  int64_t first = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    float g = got[i];
    float e = expected[i];
    bool ok = false;
    if (!std::isfinite(e)) {
      ok = same_non_finite(g, e);
    } else if (!std::isfinite(g)) {
      ++result.non_finite;
    } else {
      double err = std::fabs(static_cast<double>(g) - static_cast<double>(e));
      result.max_abs_error = std::max(result.max_abs_error, err);
      ok = err <= atol + rtol * std::fabs(static_cast<double>(e));
    }
    if (!ok) {
      ++result.mismatches;
      if (first < 0)
        first = static_cast<int64_t>(i);
    }
  }
  if (result.mismatches == 0)
    return result;
  result.passed = false;
  auto at = static_cast<std::size_t>(first);
  result.detail = "output " + spec.name + ": " + std::to_string(result.mismatches) + " of " +
                  std::to_string(got.size()) + " elements differ (atol " + number(atol) + ", rtol " +
                  number(rtol) + ")";
  if (result.non_finite > 0)
    result.detail += ", " + std::to_string(result.non_finite) + " of them NaN or Inf";
  result.detail += "; first at " + format_index(spec.shape, first) + ": got " + number(got[at]) +
                   ", expected " + number(expected[at]) + "; max abs error " + number(result.max_abs_error);
  return result;
}

comparison compare_norms(const tensor_spec& spec, const std::vector<float>& got,
                         const std::vector<float>& expected, double max_rel_error) {
  comparison result;
  if (got.size() != expected.size() || got.empty())
    return result;
  double diff2 = 0, got2 = 0, want2 = 0, got_sum = 0, want_sum = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    double g = got[i];
    double e = expected[i];
    if (!std::isfinite(g) || !std::isfinite(e))
      return result;  // compare_tensor judges non-finite values
    diff2 += (g - e) * (g - e);
    got2 += g * g;
    want2 += e * e;
    got_sum += g;
    want_sum += e;
  }
  auto n = static_cast<double>(got.size());
  double want_norm = std::sqrt(want2);
  double got_norm = std::sqrt(got2);
  auto norms = " (the reference's norm " + number(want_norm) + ", the output's " + number(got_norm) + ")";
  auto fail = [&](const std::string& why) {
    result.passed = false;
    result.detail = "output " + spec.name + ": " + why;
    return result;
  };
  if (max_rel_error > 0 && want_norm > 0) {
    double rel = std::sqrt(diff2) / want_norm;
    if (rel > max_rel_error)
      return fail("relative error norm " + number(rel) + " above " + number(max_rel_error) + norms);
    double magnitude = std::fabs(got_norm - want_norm) / want_norm;
    if (magnitude > max_rel_error)
      return fail("magnitude differs by " + number(magnitude) + ", above " + number(max_rel_error) + norms);
  }
  double want_mean = want_sum / n;
  double got_mean = got_sum / n;
  double want_sd = std::sqrt(std::max(0.0, want2 / n - want_mean * want_mean));
  double got_sd = std::sqrt(std::max(0.0, got2 / n - got_mean * got_mean));
  if (want_sd > 1e-6 * (std::fabs(want_mean) + std::sqrt(want2 / n)) && got_sd * 10 < want_sd) {
    return fail("near-constant: standard deviation " + number(got_sd) + " where the reference's is " +
                number(want_sd));
  }
  return result;
}

comparison compare_input(const tensor_spec& spec, const std::vector<float>& got,
                         const std::vector<float>& expected) {
  comparison result;
  if (got.size() != expected.size()) {
    result.passed = false;
    result.detail = "input " + spec.name + ": " + std::to_string(got.size()) + " elements, generated " +
                    std::to_string(expected.size());
    return result;
  }
  int64_t first = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    // Bit for bit: writing the same value back is harmless, but -0 over 0 or another NaN is a change.
    if (std::memcmp(&got[i], &expected[i], sizeof(float)) == 0)
      continue;
    ++result.mismatches;
    if (!std::isfinite(got[i]))
      ++result.non_finite;
    if (first < 0)
      first = static_cast<int64_t>(i);
  }
  if (result.mismatches == 0)
    return result;
  result.passed = false;
  auto at = static_cast<std::size_t>(first);
  result.detail = "input " + spec.name + ": " + std::to_string(result.mismatches) + " of " +
                  std::to_string(got.size()) + " elements changed; first at " +
                  format_index(spec.shape, first) + ": " + number(got[at]) + ", generated " +
                  number(expected[at]);
  return result;
}

}  // namespace kforge::hardware
