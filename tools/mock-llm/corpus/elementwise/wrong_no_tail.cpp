// variant: elementwise/wrong_no_tail
// techniques: simd_vectorization, fast_math_approximation, loop_unrolling
// expect: wrong
// mistake: wrong_edge_handling
// summary: AVX2 GELU in logistic form with a polynomial exp, two 8-wide vectors per iteration.
#ifdef __AVX2__
#include <immintrin.h>
static inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 f = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f)));
  f = _mm256_add_ps(f, _mm256_mul_ps(n, _mm256_set1_ps(2.12194440e-4f)));
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_add_ps(_mm256_mul_ps(p, f), _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, f), _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, f), _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_add_ps(_mm256_mul_ps(p, f), _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_add_ps(_mm256_mul_ps(p, f), _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(f, f)), f), _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
static inline __m256 gelu8(__m256 v) {
  const __m256 v2 = _mm256_mul_ps(v, v);
  const __m256 k = _mm256_mul_ps(v, _mm256_add_ps(_mm256_set1_ps(-1.5957691216f),
                                                  _mm256_mul_ps(_mm256_set1_ps(-0.0713548163f), v2)));
  return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), exp8(k)));
}
void gelu_tanh(const float* x, float* y, int n) {
  for (int i = 0; i + 16 <= n; i += 16) {
    _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(y + i + 8, gelu8(_mm256_loadu_ps(x + i + 8)));
  }
}
#else
#include <cmath>
void gelu_tanh(const float* x, float* y, int n) {
  for (int i = 0; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) {
      const float v = x[i + l];
      y[i + l] = v / (1.0f + std::exp(v * (-1.5957691216f - 0.0713548163f * v * v)));
    }
}
#endif
