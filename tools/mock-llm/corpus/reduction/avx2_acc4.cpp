// variant: reduction/avx2_acc4
// techniques: simd_vectorization, multiple_accumulators, remainder_handling, restrict_aliasing
// expect: correct
// mistake: none
// summary: Sum each row with four independent 8-wide AVX2 accumulators to hide the add latency, then a scalar tail for the leftover columns.
#ifdef __AVX2__
#include <immintrin.h>
static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
void row_sum(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int j = 0;
    for (; j + 32 <= cols; j += 32) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(xr + j));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(xr + j + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(xr + j + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(xr + j + 24));
    }
    for (; j + 8 <= cols; j += 8) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(xr + j));
    float s = hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; j < cols; ++j) s += xr[j];
    y[r] = s;
  }
}
#else
void row_sum(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float a[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int j = 0;
    for (; j + 4 <= cols; j += 4)
      for (int k = 0; k < 4; ++k) a[k] += xr[j + k];
    float s = (a[0] + a[1]) + (a[2] + a[3]);
    for (; j < cols; ++j) s += xr[j];
    y[r] = s;
  }
}
#endif
