// variant: scan/avx2_scan_rows2
// techniques: parallel_scan, simd_vectorization, row_interleaving, remainder_handling
// expect: correct
// mistake: none
// summary: AVX2 in-register eight-lane scans of two rows interleaved so their carry chains overlap, a single-row path for an odd last row and scalar tails for the leftover columns.
#ifdef __AVX2__
#include <immintrin.h>
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
static void one_row(const float* xr, float* yr, int cols) {
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
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  int r = 0;
  for (; r + 2 <= rows; r += 2) {
    const float* x0 = x + (long)r * cols;
    const float* x1 = x0 + cols;
    float* y0 = y + (long)r * cols;
    float* y1 = y0 + cols;
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      const __m256 s0 = _mm256_add_ps(scan8(_mm256_loadu_ps(x0 + j)), c0);
      const __m256 s1 = _mm256_add_ps(scan8(_mm256_loadu_ps(x1 + j)), c1);
      _mm256_storeu_ps(y0 + j, s0);
      _mm256_storeu_ps(y1 + j, s1);
      c0 = last_lane(s0);
      c1 = last_lane(s1);
    }
    float t0 = _mm256_cvtss_f32(c0), t1 = _mm256_cvtss_f32(c1);
    for (; j < cols; ++j) {
      y0[j] = (t0 += x0[j]);
      y1[j] = (t1 += x1[j]);
    }
  }
  if (r < rows) one_row(x + (long)r * cols, y + (long)r * cols, cols);
}
#else
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) y[(long)r * cols + j] = (s += x[(long)r * cols + j]);
  }
}
#endif
