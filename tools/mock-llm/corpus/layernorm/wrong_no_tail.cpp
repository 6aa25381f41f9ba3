// variant: layernorm/wrong_no_tail
// techniques: simd_vectorization, multiple_accumulators, loop_unrolling
// expect: wrong
// mistake: wrong_edge_handling
// summary: Two-pass layer norm on 16 columns per step with two 8-lane accumulators per statistic.
#include <cmath>
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
static inline v8f ld(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
static inline void st(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }
void layernorm(const float* x, const float* gamma, const float* beta, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    v8f a = {}, b = {};
    for (int j = 0; j + 16 <= cols; j += 16) { a += ld(xr + j); b += ld(xr + j + 8); }
    a += b;
    float s = 0.0f;
    for (int l = 0; l < 8; ++l) s += a[l];
    const float mean = s / cols;
    a = v8f{};
    b = v8f{};
    for (int j = 0; j + 16 <= cols; j += 16) {
      v8f d0 = ld(xr + j) - mean, d1 = ld(xr + j + 8) - mean;
      a += d0 * d0;
      b += d1 * d1;
    }
    a += b;
    float q = 0.0f;
    for (int l = 0; l < 8; ++l) q += a[l];
    const float rstd = 1.0f / std::sqrt(q / cols + 1e-5f);
    for (int j = 0; j + 16 <= cols; j += 16) {
      st(yr + j, (ld(xr + j) - mean) * rstd * ld(gamma + j) + ld(beta + j));
      st(yr + j + 8, (ld(xr + j + 8) - mean) * rstd * ld(gamma + j + 8) + ld(beta + j + 8));
    }
  }
}
