// variant: gemv/avx2_rows4
// techniques: simd_vectorization, row_interleaving, register_blocking, remainder_handling
// expect: correct
// mistake: none
// summary: Four rows of A at a time against one 8-wide load of x, four AVX2 accumulators in registers, with a single-row path for the leftover rows and a scalar column tail.
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
void gemv(const float* A, const float* x, float* y, int M, int N) {
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    const float* a0 = A + (long)i * N;
    const float* a1 = a0 + N;
    const float* a2 = a1 + N;
    const float* a3 = a2 + N;
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      const __m256 xv = _mm256_loadu_ps(x + j);
      c0 = FMADD(_mm256_loadu_ps(a0 + j), xv, c0);
      c1 = FMADD(_mm256_loadu_ps(a1 + j), xv, c1);
      c2 = FMADD(_mm256_loadu_ps(a2 + j), xv, c2);
      c3 = FMADD(_mm256_loadu_ps(a3 + j), xv, c3);
    }
    float s0 = hsum8(c0), s1 = hsum8(c1), s2 = hsum8(c2), s3 = hsum8(c3);
    for (; j < N; ++j) {
      s0 += a0[j] * x[j];
      s1 += a1[j] * x[j];
      s2 += a2[j] * x[j];
      s3 += a3[j] * x[j];
    }
    y[i] = s0; y[i + 1] = s1; y[i + 2] = s2; y[i + 3] = s3;
  }
  for (; i < M; ++i) {
    const float* a = A + (long)i * N;
    __m256 c = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= N; j += 8) c = FMADD(_mm256_loadu_ps(a + j), _mm256_loadu_ps(x + j), c);
    float s = hsum8(c);
    for (; j < N; ++j) s += a[j] * x[j];
    y[i] = s;
  }
}
#else
void gemv(const float* A, const float* x, float* y, int M, int N) {
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    float s[4] = {};
    for (int j = 0; j < N; ++j)
      for (int r = 0; r < 4; ++r) s[r] += A[(long)(i + r) * N + j] * x[j];
    for (int r = 0; r < 4; ++r) y[i + r] = s[r];
  }
  for (; i < M; ++i) {
    float s = 0.0f;
    for (int j = 0; j < N; ++j) s += A[(long)i * N + j] * x[j];
    y[i] = s;
  }
}
#endif
