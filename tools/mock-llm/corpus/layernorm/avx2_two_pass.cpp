// variant: layernorm/avx2_two_pass
// techniques: simd_vectorization, multiple_accumulators, remainder_handling, strength_reduction
// expect: correct
// mistake: none
// summary: AVX2 two-pass layer norm with two accumulators per statistic, the scale folded into one multiply per element, and scalar tails.
#include <cmath>
#ifdef __AVX2__
#include <immintrin.h>
static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
void layernorm(const float* x, const float* gamma, const float* beta, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    __m256 a = _mm256_setzero_ps(), b = a;
    int j = 0;
    for (; j + 16 <= cols; j += 16) {
      a = _mm256_add_ps(a, _mm256_loadu_ps(xr + j));
      b = _mm256_add_ps(b, _mm256_loadu_ps(xr + j + 8));
    }
    for (; j + 8 <= cols; j += 8) a = _mm256_add_ps(a, _mm256_loadu_ps(xr + j));
    float s = hsum8(_mm256_add_ps(a, b));
    for (; j < cols; ++j) s += xr[j];
    const float mean = s / cols;
    const __m256 m8 = _mm256_set1_ps(mean);
    a = _mm256_setzero_ps();
    b = a;
    for (j = 0; j + 16 <= cols; j += 16) {
      const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(xr + j), m8);
      const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(xr + j + 8), m8);
      a = _mm256_add_ps(a, _mm256_mul_ps(d0, d0));
      b = _mm256_add_ps(b, _mm256_mul_ps(d1, d1));
    }
    for (; j + 8 <= cols; j += 8) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + j), m8);
      a = _mm256_add_ps(a, _mm256_mul_ps(d, d));
    }
    float q = hsum8(_mm256_add_ps(a, b));
    for (; j < cols; ++j) q += (xr[j] - mean) * (xr[j] - mean);
    const float rstd = 1.0f / std::sqrt(q / cols + 1e-5f);
    const __m256 r8 = _mm256_set1_ps(rstd);
    for (j = 0; j + 8 <= cols; j += 8) {
      const __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), m8), r8);
      _mm256_storeu_ps(yr + j, _mm256_add_ps(_mm256_mul_ps(n, _mm256_loadu_ps(gamma + j)), _mm256_loadu_ps(beta + j)));
    }
    for (; j < cols; ++j) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}
#else
void layernorm(const float* x, const float* gamma, const float* beta, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += xr[j];
    const float mean = s / cols;
    float q = 0.0f;
    for (int j = 0; j < cols; ++j) q += (xr[j] - mean) * (xr[j] - mean);
    const float rstd = 1.0f / std::sqrt(q / cols + 1e-5f);
    for (int j = 0; j < cols; ++j) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}
#endif
