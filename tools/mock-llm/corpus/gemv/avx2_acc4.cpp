// variant: gemv/avx2_acc4
// techniques: simd_vectorization, multiple_accumulators, remainder_handling, restrict_aliasing
// expect: correct
// mistake: none
// summary: Each row's dot product as four independent 8-wide AVX2 fused multiply-add accumulators over 32 columns per step, then an 8-wide loop and a scalar tail.
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
void gemv(const float* __restrict A, const float* __restrict x, float* __restrict y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + (long)i * N;
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
    int j = 0;
    for (; j + 32 <= N; j += 32) {
      c0 = FMADD(_mm256_loadu_ps(a + j), _mm256_loadu_ps(x + j), c0);
      c1 = FMADD(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(x + j + 8), c1);
      c2 = FMADD(_mm256_loadu_ps(a + j + 16), _mm256_loadu_ps(x + j + 16), c2);
      c3 = FMADD(_mm256_loadu_ps(a + j + 24), _mm256_loadu_ps(x + j + 24), c3);
    }
    for (; j + 8 <= N; j += 8) c0 = FMADD(_mm256_loadu_ps(a + j), _mm256_loadu_ps(x + j), c0);
    float s = hsum8(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)));
    for (; j < N; ++j) s += a[j] * x[j];
    y[i] = s;
  }
}
#else
void gemv(const float* __restrict A, const float* __restrict x, float* __restrict y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + (long)i * N;
    float c[8] = {};
    int j = 0;
    for (; j + 8 <= N; j += 8)
      for (int l = 0; l < 8; ++l) c[l] += a[j + l] * x[j + l];
    float s = ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
    for (; j < N; ++j) s += a[j] * x[j];
    y[i] = s;
  }
}
#endif
