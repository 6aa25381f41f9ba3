// variant: layernorm/wrong_bessel_variance
// techniques: simd_vectorization, remainder_handling, restrict_aliasing
// expect: wrong
// mistake: off_by_one
// summary: Vectorized two-pass layer norm using the unbiased variance (divide by cols - 1) and scalar tails.
#include <cmath>
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
static inline v8f ld(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
static inline void st(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }
void layernorm(const float* __restrict x, const float* __restrict gamma, const float* __restrict beta,
               float* __restrict y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    v8f a = {};
    int j = 0;
    for (; j + 8 <= cols; j += 8) a += ld(xr + j);
    float s = 0.0f;
    for (int l = 0; l < 8; ++l) s += a[l];
    for (; j < cols; ++j) s += xr[j];
    const float mean = s / cols;
    a = v8f{};
    for (j = 0; j + 8 <= cols; j += 8) { v8f d = ld(xr + j) - mean; a += d * d; }
    float q = 0.0f;
    for (int l = 0; l < 8; ++l) q += a[l];
    for (; j < cols; ++j) q += (xr[j] - mean) * (xr[j] - mean);
    const float rstd = 1.0f / std::sqrt(q / (cols - 1) + 1e-5f);
    for (j = 0; j + 8 <= cols; j += 8) st(yr + j, (ld(xr + j) - mean) * rstd * ld(gamma + j) + ld(beta + j));
    for (; j < cols; ++j) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}
