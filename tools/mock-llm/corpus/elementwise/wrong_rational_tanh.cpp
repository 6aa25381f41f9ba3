// variant: elementwise/wrong_rational_tanh
// techniques: simd_vectorization, fast_math_approximation, remainder_handling
// expect: wrong
// mistake: approximation_too_coarse
// summary: Replaced std::tanh with the clamped rational tanh(u) ~ u (27 + u^2) / (27 + 9 u^2), 8 lanes at a time with AVX2 and a scalar tail.
#ifdef __AVX2__
#include <immintrin.h>
#endif
static inline float tanh_r(float u) {
  u = u < -3.0f ? -3.0f : (u > 3.0f ? 3.0f : u);
  const float u2 = u * u;
  return u * (27.0f + u2) / (27.0f + 9.0f * u2);
}
void gelu_tanh(const float* x, float* y, int n) {
  int i = 0;
#ifdef __AVX2__
  const __m256 c = _mm256_set1_ps(0.7978845608f), d = _mm256_set1_ps(0.044715f);
  const __m256 lo = _mm256_set1_ps(-3.0f), hi = _mm256_set1_ps(3.0f);
  const __m256 c27 = _mm256_set1_ps(27.0f), c9 = _mm256_set1_ps(9.0f);
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    __m256 u = _mm256_mul_ps(c, _mm256_add_ps(v, _mm256_mul_ps(d, _mm256_mul_ps(v, _mm256_mul_ps(v, v)))));
    u = _mm256_min_ps(_mm256_max_ps(u, lo), hi);
    const __m256 u2 = _mm256_mul_ps(u, u);
    const __m256 t = _mm256_div_ps(_mm256_mul_ps(u, _mm256_add_ps(c27, u2)),
                                   _mm256_add_ps(c27, _mm256_mul_ps(c9, u2)));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, t)));
  }
#endif
  for (; i < n; ++i) {
    const float v = x[i];
    const float u = 0.7978845608f * (v + 0.044715f * v * v * v);
    y[i] = 0.5f * v * (1.0f + tanh_r(u));
  }
}
