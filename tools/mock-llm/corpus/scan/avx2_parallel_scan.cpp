// variant: scan/avx2_parallel_scan
// techniques: parallel_scan, simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: Scanned eight columns at once in AVX2 registers with two in-lane shift-and-add steps and a cross-lane add, then added the broadcast carry from the previous vector's last lane; scalar tail.
#ifdef __AVX2__
#include <immintrin.h>
// Inclusive scan of the 8 lanes of v.
static inline __m256 scan8(__m256 v) {
  v = _mm256_add_ps(v, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(v), 4)));
  v = _mm256_add_ps(v, _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(v), 8)));
  const __m256 t = _mm256_permute_ps(v, 0xFF);
  return _mm256_add_ps(v, _mm256_permute2f128_ps(t, t, 0x08));
}
static inline __m256 last_lane(__m256 v) {
  const __m256 t = _mm256_permute_ps(v, 0xFF);
  return _mm256_permute2f128_ps(t, t, 0x11);
}
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    __m256 carry = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      const __m256 s = _mm256_add_ps(scan8(_mm256_loadu_ps(xr + j)), carry);
      _mm256_storeu_ps(yr + j, s);
      carry = last_lane(s);
    }
    float c = _mm256_cvtss_f32(carry);
    for (; j < cols; ++j) yr[j] = (c += xr[j]);
  }
}
#else
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) y[(long)r * cols + j] = (s += x[(long)r * cols + j]);
  }
}
#endif
