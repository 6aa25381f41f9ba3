// variant: softmax/wrong_taylor3_exp
// techniques: simd_vectorization, fast_math_approximation, reciprocal_multiply, remainder_handling
// expect: wrong
// mistake: approximation_too_coarse
// summary: Vectorized softmax with a cheap cubic exp after range reduction, reciprocal scaling and scalar tails.
#include <cmath>
#include <cstdint>
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
static inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
static inline void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }
static inline v8f exp8_cubic(v8f x) {
  const v8f lo = v8f{} - 87.0f;
  x = x < lo ? lo : x;
  v8f n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  v8f f = x - n * 0.69314718f;
  v8f p = ((f * 0.16666667f + 0.5f) * f + 1.0f) * f + 1.0f;
  v8i e = (__builtin_convertvector(n, v8i) + 127) << 23;
  return p * (v8f)e;
}
void softmax_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float m = xr[0];
    for (int j = 1; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
    v8f sv = {};
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      v8f e = exp8_cubic(load8(xr + j) - m);
      store8(yr + j, e);
      sv += e;
    }
    float s = 0.0f;
    for (int l = 0; l < 8; ++l) s += sv[l];
    for (; j < cols; ++j) s += (yr[j] = std::exp(xr[j] - m));
    const float inv = 1.0f / s;
    for (j = 0; j < cols; ++j) yr[j] *= inv;
  }
}
