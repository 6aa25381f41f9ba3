// The checks beyond allclose: relative error norm, magnitude and near-constant outputs.
#include "hardware/gates/compare.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace kforge;
using namespace kforge::hardware;

namespace {

tensor_spec row(int64_t n) {
  tensor_spec spec;
  spec.name = "y";
  spec.shape = {1, n};
  return spec;
}

// A softmax row of n logits spread over [-2, 2]: every value is near 1/n.
std::vector<float> softmax_row(int64_t n) {
  std::vector<float> logits(static_cast<std::size_t>(n));
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    logits[static_cast<std::size_t>(i)] =
        static_cast<float>(std::exp(-2.0 + 4.0 * static_cast<double>(i % 997) / 997.0));
    total += logits[static_cast<std::size_t>(i)];
  }
  for (auto& x : logits)
    x = static_cast<float>(x / total);
  return logits;
}

}  // namespace

TEST_CASE("Zeros for a wide softmax pass allclose but fail the error norm", "[hardware][gates][hostile]") {
  const int64_t n = 393216;
  auto spec = row(n);
  auto want = softmax_row(n);
  std::vector<float> zeros(want.size(), 0.0f);
  // Every value is below atol 1e-4: allclose alone calls this correct.
  CHECK(compare_tensor(spec, zeros, want, 1e-4, 1e-4).passed);
  auto c = compare_norms(spec, zeros, want, 1e-3);
  CHECK_FALSE(c.passed);
  CHECK_THAT(c.detail, Catch::StartsWith("output y: relative error norm 1 above 0.001"));
  SECTION("with the norm check off, the near-constant filter still fails it") {
    auto off = compare_norms(spec, zeros, want, 0);
    CHECK_FALSE(off.passed);
    CHECK_THAT(off.detail, Catch::StartsWith("output y: near-constant: standard deviation 0 where"));
  }
}

TEST_CASE("Near-constant outputs fail where the reference varies", "[hardware][gates][hostile]") {
  auto spec = row(4096);
  auto want = softmax_row(4096);
  double mean = 0;
  for (float x : want)
    mean += x;
  mean /= static_cast<double>(want.size());
  // Each value the row's mean: under atol everywhere, and close in norm to a flat reference.
  std::vector<float> flat(want.size(), static_cast<float>(mean));
  auto c = compare_norms(spec, flat, want, 0);
  CHECK_FALSE(c.passed);
  CHECK_THAT(c.detail, Catch::Contains("near-constant"));
}

TEST_CASE("An honest result passes the norm checks; a constant reference allows a constant output",
          "[hardware][gates]") {
  auto spec = row(4096);
  auto want = softmax_row(4096);
  auto got = want;
  for (std::size_t i = 0; i < got.size(); i += 7)
    got[i] = std::nextafter(got[i], 1.0f);  // rounding differences of another summation order
  CHECK(compare_norms(spec, got, want, 1e-3).passed);
  std::vector<float> ones(16, 1.0f);
  CHECK(compare_norms(row(16), ones, ones, 1e-3).passed);
  std::vector<float> zeros(16, 0.0f);
  CHECK(compare_norms(row(16), zeros, zeros, 1e-3).passed);
}

TEST_CASE("A result off by a scale fails the magnitude or the error norm", "[hardware][gates]") {
  auto spec = row(1000);
  auto want = softmax_row(1000);
  auto got = want;
  for (auto& x : got)
    x *= 1.01f;
  auto c = compare_norms(spec, got, want, 1e-3);
  CHECK_FALSE(c.passed);
  CHECK_THAT(c.detail, Catch::Contains("above 0.001"));
}
