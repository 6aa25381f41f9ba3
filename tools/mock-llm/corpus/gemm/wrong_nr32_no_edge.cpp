// variant: gemm/wrong_nr32_no_edge
// techniques: register_blocking, simd_vectorization, loop_unrolling
// expect: wrong
// mistake: wrong_edge_handling
// summary: AVX2 register-blocked kernel over 4x32 tiles of C, four vectors per row and eight rows of broadcasts unrolled per k step.
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  for (int i = 0; i + 4 <= M; i += 4)
    for (int j = 0; j + 32 <= N; j += 32) {
      __m256 acc[4][4];
      for (int r = 0; r < 4; ++r)
        for (int v = 0; v < 4; ++v) acc[r][v] = _mm256_setzero_ps();
      for (int k = 0; k < K; ++k) {
        __m256 b[4];
        for (int v = 0; v < 4; ++v) b[v] = _mm256_loadu_ps(B + (long)k * N + j + 8 * v);
        for (int r = 0; r < 4; ++r) {
          const __m256 av = _mm256_broadcast_ss(A + (long)(i + r) * K + k);
          for (int v = 0; v < 4; ++v) acc[r][v] = FMADD(av, b[v], acc[r][v]);
        }
      }
      for (int r = 0; r < 4; ++r)
        for (int v = 0; v < 4; ++v) _mm256_storeu_ps(C + (long)(i + r) * N + j + 8 * v, acc[r][v]);
    }
}
#else
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  for (int i = 0; i + 4 <= M; i += 4)
    for (int j = 0; j + 32 <= N; j += 32)
      for (int r = 0; r < 4; ++r)
        for (int l = 0; l < 32; ++l) {
          float s = 0.0f;
          for (int k = 0; k < K; ++k) s += A[(long)(i + r) * K + k] * B[(long)k * N + j + l];
          C[(long)(i + r) * N + j + l] = s;
        }
}
#endif
