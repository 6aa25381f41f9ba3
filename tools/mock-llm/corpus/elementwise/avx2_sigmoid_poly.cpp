// variant: elementwise/avx2_sigmoid_poly
// techniques: simd_vectorization, fast_math_approximation, strength_reduction, remainder_handling
// expect: correct
// mistake: none
// summary: AVX2 GELU as v / (1 + e^-2u) with an 8-wide range-reduced degree-6 exp polynomial accurate to a few ulp, argument clamped, scalar std::exp tail.
#include <cmath>
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
// e^x for x in [-87, 88]: x = n ln2 + f with |f| <= ln2/2 (ln2 split in two
// parts), e^f by a degree-6 polynomial, 2^n put into the exponent bits.
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
void gelu_tanh(const float* __restrict x, float* __restrict y, int n) {
  const float c0 = -2.0f * 0.7978845608f, c1 = -2.0f * 0.7978845608f * 0.044715f;
  const __m256 k0 = _mm256_set1_ps(c0), k1 = _mm256_set1_ps(c1), one = _mm256_set1_ps(1.0f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 k = _mm256_mul_ps(v, FMADD(k1, _mm256_mul_ps(v, v), k0));
    _mm256_storeu_ps(y + i, _mm256_div_ps(v, _mm256_add_ps(one, exp8(k))));
  }
  for (; i < n; ++i) {
    const float v = x[i];
    y[i] = v / (1.0f + std::exp(v * (c0 + c1 * v * v)));
  }
}
#else
void gelu_tanh(const float* __restrict x, float* __restrict y, int n) {
  const float c0 = -2.0f * 0.7978845608f, c1 = -2.0f * 0.7978845608f * 0.044715f;
  for (int i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v / (1.0f + std::exp(v * (c0 + c1 * v * v)));
  }
}
#endif
