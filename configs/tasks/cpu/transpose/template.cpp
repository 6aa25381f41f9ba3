// Matrix transpose template: y[cols][rows] = x[rows][cols]^T, cache-blocked.
// Knobs:
//   TILE_I  rows of x per tile (8, 16, 32, 48, 64).
//   TILE_J  columns of x per tile (8, 16, 32, 48, 64).
//   INNER   0: inside a tile, j outer / i inner (contiguous writes of y);
//           1: i outer / j inner (contiguous reads of x);
//           2: in-register blocks of KF_BLK x KF_BLK: KF_BLK rows of x
//              loaded as vectors, transposed with unpack/shuffle/lane
//              permutes, stored as KF_BLK rows of y. KF_BLK is 8 where the
//              compiler targets AVX (__AVX__; AVX2 and AVX-512 included:
//              256-bit vectors), else 4 (SSE). A tile's rows and columns
//              past its last full block are copied one by one;
//           3: as 2, but where the compiler targets AVX-512 (__AVX512F__)
//              the blocks are 16 x 16 (512-bit vectors); elsewhere the same
//              as 2.
//   TAIL    0: tiles cover the matrix with NO edge handling: the last partial
//              tile is skipped, so the result is wrong when rows % TILE_I != 0
//              or cols % TILE_J != 0;
//           1: the last partial tiles of each dimension too (the same loops,
//              bounded by the matrix).
#include <immintrin.h>

#if INNER >= 2
#if INNER == 3 && defined(__AVX512F__)
#define KF_BLK 16
// y rows [0..16) = x columns [0..16) of 16 rows of x (row strides ldx, ldy).
static inline void kf_block(const float* __restrict x, long ldx, float* __restrict y, long ldy) {
  __m512 r[16], t[16];
  for (int k = 0; k < 16; ++k) r[k] = _mm512_loadu_ps(x + k * ldx);
  // Pairs of rows interleaved, then pairs of pairs: in each 128-bit lane q of s[4a + b], the
  // elements 4q + b of rows 4a .. 4a + 3.
  for (int k = 0; k < 16; k += 2) {
    t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
  }
  for (int k = 0; k < 16; k += 4) {
    r[k] = _mm512_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[k + 1] = _mm512_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[k + 2] = _mm512_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[k + 3] = _mm512_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // r[4a + b], lane q: column 4q + b, rows 4a .. 4a + 3. Gather the four lanes q of one column.
  for (int b = 0; b < 4; ++b) {
    // a0: lanes 0 and 2 of groups 0 and 1 (g0 q0, g0 q2, g1 q0, g1 q2); a1: of groups 2 and 3;
    // a2, a3: their lanes 1 and 3. Column b is lane 0 of every group, 8 + b lane 2, 4 + b lane 1.
    __m512 a0 = _mm512_shuffle_f32x4(r[b], r[4 + b], _MM_SHUFFLE(2, 0, 2, 0));
    __m512 a1 = _mm512_shuffle_f32x4(r[8 + b], r[12 + b], _MM_SHUFFLE(2, 0, 2, 0));
    __m512 a2 = _mm512_shuffle_f32x4(r[b], r[4 + b], _MM_SHUFFLE(3, 1, 3, 1));
    __m512 a3 = _mm512_shuffle_f32x4(r[8 + b], r[12 + b], _MM_SHUFFLE(3, 1, 3, 1));
    _mm512_storeu_ps(y + b * ldy, _mm512_shuffle_f32x4(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_ps(y + (8 + b) * ldy, _mm512_shuffle_f32x4(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)));
    _mm512_storeu_ps(y + (4 + b) * ldy, _mm512_shuffle_f32x4(a2, a3, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_ps(y + (12 + b) * ldy, _mm512_shuffle_f32x4(a2, a3, _MM_SHUFFLE(3, 1, 3, 1)));
  }
}
#elif defined(__AVX__)
#define KF_BLK 8
// y rows [0..8) = x columns [0..8) of 8 rows of x (row strides ldx, ldy).
static inline void kf_block(const float* __restrict x, long ldx, float* __restrict y, long ldy) {
  __m256 r0 = _mm256_loadu_ps(x), r1 = _mm256_loadu_ps(x + ldx);
  __m256 r2 = _mm256_loadu_ps(x + 2 * ldx), r3 = _mm256_loadu_ps(x + 3 * ldx);
  __m256 r4 = _mm256_loadu_ps(x + 4 * ldx), r5 = _mm256_loadu_ps(x + 5 * ldx);
  __m256 r6 = _mm256_loadu_ps(x + 6 * ldx), r7 = _mm256_loadu_ps(x + 7 * ldx);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  // s0: column 0 of rows 0-3 | column 4 of rows 0-3; s1: columns 1 | 5; s2: 2 | 6; s3: 3 | 7.
  __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(y, _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_storeu_ps(y + ldy, _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_storeu_ps(y + 2 * ldy, _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_storeu_ps(y + 3 * ldy, _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_storeu_ps(y + 4 * ldy, _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_storeu_ps(y + 5 * ldy, _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_storeu_ps(y + 6 * ldy, _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_storeu_ps(y + 7 * ldy, _mm256_permute2f128_ps(s3, s7, 0x31));
}
#else
#define KF_BLK 4
// y rows [0..4) = x columns [0..4) of 4 rows of x (row strides ldx, ldy).
static inline void kf_block(const float* __restrict x, long ldx, float* __restrict y, long ldy) {
  __m128 r0 = _mm_loadu_ps(x), r1 = _mm_loadu_ps(x + ldx);
  __m128 r2 = _mm_loadu_ps(x + 2 * ldx), r3 = _mm_loadu_ps(x + 3 * ldx);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(y, r0);
  _mm_storeu_ps(y + ldy, r1);
  _mm_storeu_ps(y + 2 * ldy, r2);
  _mm_storeu_ps(y + 3 * ldy, r3);
}
#endif
#endif

static inline void kf_tile(const float* __restrict x, float* __restrict y, int rows, int cols, int ii, int ie,
                           int jj, int je) {
#if INNER == 0
  for (int j = jj; j < je; ++j)
    for (int i = ii; i < ie; ++i) y[(long)j * rows + i] = x[(long)i * cols + j];
#elif INNER == 1
  for (int i = ii; i < ie; ++i)
    for (int j = jj; j < je; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
#else
  int i = ii;
  for (; i + KF_BLK <= ie; i += KF_BLK) {
    int j = jj;
    for (; j + KF_BLK <= je; j += KF_BLK) kf_block(x + (long)i * cols + j, cols, y + (long)j * rows + i, rows);
    for (; j < je; ++j)  // the tile's last je - j columns, KF_BLK rows
      for (int r = i; r < i + KF_BLK; ++r) y[(long)j * rows + r] = x[(long)r * cols + j];
  }
  for (; i < ie; ++i)  // the tile's last ie - i rows
    for (int j = jj; j < je; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
#endif
}

void transpose(const float* __restrict x, float* __restrict y, int rows, int cols) {
  int ii = 0;
  for (; ii + TILE_I <= rows; ii += TILE_I) {
    int jj = 0;
    for (; jj + TILE_J <= cols; jj += TILE_J) kf_tile(x, y, rows, cols, ii, ii + TILE_I, jj, jj + TILE_J);
#if TAIL
    if (jj < cols) kf_tile(x, y, rows, cols, ii, ii + TILE_I, jj, cols);
#endif
  }
#if TAIL
  if (ii < rows)
    for (int jj = 0; jj < cols; jj += TILE_J) kf_tile(x, y, rows, cols, ii, rows, jj, jj + TILE_J < cols ? jj + TILE_J : cols);
#endif
}
