// variant: reduction/prefetch_avx2
// techniques: simd_vectorization, multiple_accumulators, software_prefetch, remainder_handling
// expect: correct
// mistake: none
// summary: Two-accumulator AVX2 row sum that prefetches 512 bytes ahead of the loads, with a scalar tail.
#ifdef __AVX2__
#include <immintrin.h>
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    int j = 0;
    for (; j + 16 <= cols; j += 16) {
      __builtin_prefetch(xr + j + 128);
      a = _mm256_add_ps(a, _mm256_loadu_ps(xr + j));
      b = _mm256_add_ps(b, _mm256_loadu_ps(xr + j + 8));
    }
    a = _mm256_add_ps(a, b);
    alignas(32) float l[8];
    _mm256_store_ps(l, a);
    float s = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
    for (; j < cols; ++j) s += xr[j];
    y[r] = s;
  }
}
#else
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float s0 = 0.0f, s1 = 0.0f;
    int j = 0;
    for (; j + 2 <= cols; j += 2) {
      __builtin_prefetch(xr + j + 128);
      s0 += xr[j];
      s1 += xr[j + 1];
    }
    if (j < cols) s0 += xr[j];
    y[r] = s0 + s1;
  }
}
#endif
