// variant: layernorm/shifted_one_pass
// techniques: fused_passes, simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: One statistics pass of sum and sum of squares taken relative to the row's first element (so a large mean does not cancel), then the normalise pass.
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
    const float k = xr[0];
    const __m256 k8 = _mm256_set1_ps(k);
    __m256 s8 = _mm256_setzero_ps(), q8 = s8;
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + j), k8);
      s8 = _mm256_add_ps(s8, d);
      q8 = _mm256_add_ps(q8, _mm256_mul_ps(d, d));
    }
    float s = hsum8(s8), q = hsum8(q8);
    for (; j < cols; ++j) { const float d = xr[j] - k; s += d; q += d * d; }
    const float dm = s / cols;
    float var = q / cols - dm * dm;
    var = var < 0.0f ? 0.0f : var;
    const float mean = k + dm;
    const float rstd = 1.0f / std::sqrt(var + 1e-5f);
    const __m256 m8 = _mm256_set1_ps(mean), r8 = _mm256_set1_ps(rstd);
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
