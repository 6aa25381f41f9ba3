// variant: gemv/wrong_acc_outside_row
// techniques: simd_vectorization, row_interleaving, remainder_handling
// expect: wrong
// mistake: uninitialized_accumulator
// summary: Two rows of A per pass sharing each 8-wide load of x, with the vector accumulators hoisted out of the row loop to save the zeroing.
#ifdef __AVX2__
#include <immintrin.h>
static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
void gemv(const float* A, const float* x, float* y, int M, int N) {
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 2 <= M; i += 2) {
    const float* a0 = A + (long)i * N;
    const float* a1 = a0 + N;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      const __m256 xv = _mm256_loadu_ps(x + j);
      c0 = _mm256_add_ps(c0, _mm256_mul_ps(_mm256_loadu_ps(a0 + j), xv));
      c1 = _mm256_add_ps(c1, _mm256_mul_ps(_mm256_loadu_ps(a1 + j), xv));
    }
    float s0 = hsum8(c0), s1 = hsum8(c1);
    for (; j < N; ++j) { s0 += a0[j] * x[j]; s1 += a1[j] * x[j]; }
    y[i] = s0; y[i + 1] = s1;
  }
  for (; i < M; ++i) {
    float s = 0.0f;
    for (int j = 0; j < N; ++j) s += A[(long)i * N + j] * x[j];
    y[i] = s;
  }
}
#else
void gemv(const float* A, const float* x, float* y, int M, int N) {
  float s0 = 0.0f, s1 = 0.0f;
  int i = 0;
  for (; i + 2 <= M; i += 2) {
    for (int j = 0; j < N; ++j) {
      s0 += A[(long)i * N + j] * x[j];
      s1 += A[(long)(i + 1) * N + j] * x[j];
    }
    y[i] = s0; y[i + 1] = s1;
  }
  for (; i < M; ++i) {
    float s = 0.0f;
    for (int j = 0; j < N; ++j) s += A[(long)i * N + j] * x[j];
    y[i] = s;
  }
}
#endif
