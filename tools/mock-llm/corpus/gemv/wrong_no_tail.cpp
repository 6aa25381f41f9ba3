// variant: gemv/wrong_no_tail
// techniques: simd_vectorization, multiple_accumulators, loop_unrolling
// expect: wrong
// mistake: wrong_edge_handling
// summary: Each row's dot product with two 8-wide AVX2 accumulators stepping 16 columns at a time.
#ifdef __AVX2__
#include <immintrin.h>
void gemv(const float* A, const float* x, float* y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + (long)i * N;
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
    for (int j = 0; j + 16 <= N; j += 16) {
      c0 = _mm256_add_ps(c0, _mm256_mul_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(x + j)));
      c1 = _mm256_add_ps(c1, _mm256_mul_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(x + j + 8)));
    }
    alignas(32) float l[8];
    _mm256_store_ps(l, _mm256_add_ps(c0, c1));
    float s = 0.0f;
    for (int k = 0; k < 8; ++k) s += l[k];
    y[i] = s;
  }
}
#else
void gemv(const float* A, const float* x, float* y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + (long)i * N;
    float c[16] = {};
    for (int j = 0; j + 16 <= N; j += 16)
      for (int k = 0; k < 16; ++k) c[k] += a[j + k] * x[j + k];
    float s = 0.0f;
    for (int k = 0; k < 16; ++k) s += c[k];
    y[i] = s;
  }
}
#endif
