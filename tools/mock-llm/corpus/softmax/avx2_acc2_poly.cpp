// variant: softmax/avx2_acc2_poly
// techniques: simd_vectorization, multiple_accumulators, fast_math_approximation, loop_unrolling, reciprocal_multiply, remainder_handling
// expect: correct
// mistake: none
// summary: AVX2 softmax with two independent max and sum vectors per step (16 columns), polynomial exp, reciprocal scaling and scalar tails.
#include <cmath>
#ifdef __AVX2__
#include <immintrin.h>
// exp of 8 floats <= 0: n = round(x / ln2), f = x - n ln2 (two-part ln2),
// degree-6 polynomial for e^f (about 2 ulp), scaled by 2^n through the exponent bits.
static inline __m256 exp8(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 f = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f)));
  f = _mm256_sub_ps(f, _mm256_mul_ps(n, _mm256_set1_ps(-2.12194440e-4f)));
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
static inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
void softmax_rows(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    int j = 0;
    for (; j + 16 <= cols; j += 16) {
      m0 = _mm256_max_ps(m0, _mm256_loadu_ps(xr + j));
      m1 = _mm256_max_ps(m1, _mm256_loadu_ps(xr + j + 8));
    }
    float m = hmax8(_mm256_max_ps(m0, m1));
    for (; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
    const __m256 m8 = _mm256_set1_ps(m);
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    for (j = 0; j + 16 <= cols; j += 16) {
      const __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(xr + j), m8));
      const __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(xr + j + 8), m8));
      _mm256_storeu_ps(yr + j, e0);
      _mm256_storeu_ps(yr + j + 8, e1);
      s0 = _mm256_add_ps(s0, e0);
      s1 = _mm256_add_ps(s1, e1);
    }
    float s = hsum8(_mm256_add_ps(s0, s1));
    for (; j < cols; ++j) s += (yr[j] = std::exp(xr[j] - m));
    const __m256 inv8 = _mm256_set1_ps(1.0f / s);
    for (j = 0; j + 8 <= cols; j += 8) _mm256_storeu_ps(yr + j, _mm256_mul_ps(_mm256_loadu_ps(yr + j), inv8));
    for (; j < cols; ++j) yr[j] *= 1.0f / s;
  }
}
#else
void softmax_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float m = xr[0];
    for (int j = 1; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += (yr[j] = std::exp(xr[j] - m));
    const float inv = 1.0f / s;
    for (int j = 0; j < cols; ++j) yr[j] *= inv;
  }
}
#endif
