// variant: scan/wrong_no_tail
// techniques: parallel_scan, simd_vectorization
// expect: wrong
// mistake: wrong_edge_handling
// summary: AVX2 eight-lane in-register scan with a broadcast carry between vectors.
#ifdef __AVX2__
#include <immintrin.h>
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    __m256 carry = _mm256_setzero_ps();
    for (int j = 0; j + 8 <= cols; j += 8) {
      __m256 v = _mm256_loadu_ps(xr + j);
      v = _mm256_add_ps(v, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(v), 4)));
      v = _mm256_add_ps(v, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(v), 8)));
      const __m256 t = _mm256_permute_ps(v, 0xFF);
      v = _mm256_add_ps(_mm256_add_ps(v, _mm256_permute2f128_ps(t, t, 0x08)), carry);
      _mm256_storeu_ps(yr + j, v);
      const __m256 l = _mm256_permute_ps(v, 0xFF);
      carry = _mm256_permute2f128_ps(l, l, 0x11);
    }
  }
}
#else
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float s = 0.0f;
    for (int j = 0; j + 8 <= cols; j += 8)
      for (int l = 0; l < 8; ++l) y[(long)r * cols + j + l] = (s += x[(long)r * cols + j + l]);
  }
}
#endif
