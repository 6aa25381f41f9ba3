// variant: softmax/avx2_prefetch_libm
// techniques: simd_vectorization, software_prefetch, remainder_handling
// expect: correct
// mistake: none
// summary: Vectorized the max and scale passes with AVX2 and prefetched the next row, keeping exact std::exp per element for the exponentials.
#include <cmath>
#ifdef __AVX2__
#include <immintrin.h>
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
void softmax_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    if (r + 1 < rows)
      for (int j = 0; j < cols; j += 16) __builtin_prefetch(xr + cols + j);
    __m256 mv = _mm256_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 8 <= cols; j += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(xr + j));
    float m = hmax8(mv);
    for (; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
    float s = 0.0f;
    for (j = 0; j < cols; ++j) s += (yr[j] = std::exp(xr[j] - m));
    const __m256 s8 = _mm256_set1_ps(s);
    for (j = 0; j + 8 <= cols; j += 8) _mm256_storeu_ps(yr + j, _mm256_div_ps(_mm256_loadu_ps(yr + j), s8));
    for (; j < cols; ++j) yr[j] /= s;
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
