// variant: layernorm/vecext_prefetch
// techniques: simd_vectorization, software_prefetch, remainder_handling
// expect: correct
// mistake: none
// summary: Portable 8-lane two-pass layer norm that prefetches the next row during the normalise pass, with scalar tails.
#include <cmath>
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
static inline v8f ld(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
static inline void st(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }
static inline float hsum(v8f v) { float s = 0.0f; for (int l = 0; l < 8; ++l) s += v[l]; return s; }
void layernorm(const float* x, const float* gamma, const float* beta, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    v8f a = {};
    int j = 0;
    for (; j + 8 <= cols; j += 8) a += ld(xr + j);
    float s = hsum(a);
    for (; j < cols; ++j) s += xr[j];
    const float mean = s / cols;
    a = v8f{};
    for (j = 0; j + 8 <= cols; j += 8) { v8f d = ld(xr + j) - mean; a += d * d; }
    float q = hsum(a);
    for (; j < cols; ++j) q += (xr[j] - mean) * (xr[j] - mean);
    const float rstd = 1.0f / std::sqrt(q / cols + 1e-5f);
    const float* next = xr + cols;
    for (j = 0; j + 8 <= cols; j += 8) {
      if (r + 1 < rows) __builtin_prefetch(next + j);
      st(yr + j, (ld(xr + j) - mean) * rstd * ld(gamma + j) + ld(beta + j));
    }
    for (; j < cols; ++j) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}
