// variant: transpose/avx2_8x8_tiled
// techniques: simd_vectorization, cache_blocking, register_blocking, remainder_handling
// expect: correct
// mistake: none
// summary: 8x8 blocks transposed in AVX2 registers with unpack, shuffle and lane permutes inside 64x64 cache tiles, scalar loops for the partial blocks at the edges.
#ifdef __AVX2__
#include <immintrin.h>
static inline void block8x8(const float* x, float* y, int rows, int cols, int i, int j) {
  const float* s = x + (long)i * cols + j;
  __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + cols);
  __m256 r2 = _mm256_loadu_ps(s + 2L * cols), r3 = _mm256_loadu_ps(s + 3L * cols);
  __m256 r4 = _mm256_loadu_ps(s + 4L * cols), r5 = _mm256_loadu_ps(s + 5L * cols);
  __m256 r6 = _mm256_loadu_ps(s + 6L * cols), r7 = _mm256_loadu_ps(s + 7L * cols);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  float* d = y + (long)j * rows + i;
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + rows, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2L * rows, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3L * rows, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4L * rows, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5L * rows, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6L * rows, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7L * rows, _mm256_permute2f128_ps(u3, u7, 0x31));
}
void transpose(const float* x, float* y, int rows, int cols) {
  const int T = 64;
  for (int i0 = 0; i0 < rows; i0 += T) {
    const int i1 = i0 + T < rows ? i0 + T : rows;
    const int i8 = i0 + ((i1 - i0) / 8) * 8;
    for (int j0 = 0; j0 < cols; j0 += T) {
      const int j1 = j0 + T < cols ? j0 + T : cols;
      const int j8 = j0 + ((j1 - j0) / 8) * 8;
      for (int i = i0; i < i8; i += 8)
        for (int j = j0; j < j8; j += 8) block8x8(x, y, rows, cols, i, j);
      for (int i = i0; i < i1; ++i)
        for (int j = j8; j < j1; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
      for (int i = i8; i < i1; ++i)
        for (int j = j0; j < j8; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
    }
  }
}
#else
void transpose(const float* x, float* y, int rows, int cols) {
  const int T = 32;
  for (int i0 = 0; i0 < rows; i0 += T)
    for (int j0 = 0; j0 < cols; j0 += T) {
      const int i1 = i0 + T < rows ? i0 + T : rows, j1 = j0 + T < cols ? j0 + T : cols;
      for (int i = i0; i < i1; ++i)
        for (int j = j0; j < j1; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
    }
}
#endif
