// variant: elementwise/avx2_stream_stores
// techniques: simd_vectorization, fast_math_approximation, streaming_stores, remainder_handling
// expect: correct
// mistake: none
// summary: AVX2 logistic-form GELU with a polynomial exp, writing the output with non-temporal stores after a scalar head that reaches 32-byte alignment, scalar tail and a store fence.
#include <cmath>
#include <cstdint>
static inline float gelu1(float v) {
  return v / (1.0f + std::exp(v * (-2.0f * 0.7978845608f + -2.0f * 0.7978845608f * 0.044715f * v * v)));
}
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
static inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 f = FMADD(n, _mm256_set1_ps(-0.693359375f), x);
  f = FMADD(n, _mm256_set1_ps(2.12194440e-4f), f);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = FMADD(p, f, _mm256_set1_ps(1.3981999507e-3f));
  p = FMADD(p, f, _mm256_set1_ps(8.3334519073e-3f));
  p = FMADD(p, f, _mm256_set1_ps(4.1665795894e-2f));
  p = FMADD(p, f, _mm256_set1_ps(1.6666665459e-1f));
  p = FMADD(p, f, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(FMADD(p, _mm256_mul_ps(f, f), f), _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
void gelu_tanh(const float* x, float* y, int n) {
  const __m256 k0 = _mm256_set1_ps(-2.0f * 0.7978845608f);
  const __m256 k1 = _mm256_set1_ps(-2.0f * 0.7978845608f * 0.044715f);
  const __m256 one = _mm256_set1_ps(1.0f);
  int i = 0;
  for (; i < n && (reinterpret_cast<std::uintptr_t>(y + i) & 31) != 0; ++i) y[i] = gelu1(x[i]);
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 k = _mm256_mul_ps(v, FMADD(k1, _mm256_mul_ps(v, v), k0));
    _mm256_stream_ps(y + i, _mm256_div_ps(v, _mm256_add_ps(one, exp8(k))));
  }
  _mm_sfence();
  for (; i < n; ++i) y[i] = gelu1(x[i]);
}
#else
void gelu_tanh(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = gelu1(x[i]);
}
#endif
