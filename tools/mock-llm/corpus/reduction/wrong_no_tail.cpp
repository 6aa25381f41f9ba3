// variant: reduction/wrong_no_tail
// techniques: simd_vectorization, multiple_accumulators
// expect: wrong
// mistake: wrong_edge_handling
// summary: Sum each row with two 8-wide AVX2 accumulators stepping 16 columns at a time.
#ifdef __AVX2__
#include <immintrin.h>
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    for (int j = 0; j + 16 <= cols; j += 16) {
      a = _mm256_add_ps(a, _mm256_loadu_ps(xr + j));
      b = _mm256_add_ps(b, _mm256_loadu_ps(xr + j + 8));
    }
    alignas(32) float l[8];
    _mm256_store_ps(l, _mm256_add_ps(a, b));
    float s = 0.0f;
    for (int k = 0; k < 8; ++k) s += l[k];
    y[r] = s;
  }
}
#else
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float a[16] = {};
    for (int j = 0; j + 16 <= cols; j += 16)
      for (int k = 0; k < 16; ++k) a[k] += xr[j + k];
    float s = 0.0f;
    for (int k = 0; k < 16; ++k) s += a[k];
    y[r] = s;
  }
}
#endif
