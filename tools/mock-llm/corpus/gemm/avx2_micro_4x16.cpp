// variant: gemm/avx2_micro_4x16
// techniques: register_blocking, simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: AVX2 micro-kernel computing 4x16 blocks of C in eight vector registers, broadcasting A and streaming B along k, with scalar code for the edge rows and columns.
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
// C[i0..i1) x [j0..j1) computed directly (edges the micro-kernel does not cover).
static void edge_block(const float* A, const float* B, float* C, int N, int K, int i0, int i1, int j0, int j1) {
  for (int i = i0; i < i1; ++i)
    for (int j = j0; j < j1; ++j) {
      float s = 0.0f;
      for (int k = 0; k < K; ++k) s += A[(long)i * K + k] * B[(long)k * N + j];
      C[(long)i * N + j] = s;
    }
}
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  const int M4 = M / 4 * 4, N16 = N / 16 * 16;
  for (int i = 0; i < M4; i += 4)
    for (int j = 0; j < N16; j += 16) {
      __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
      __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float* a = A + (long)i * K;
      for (int k = 0; k < K; ++k) {
        const __m256 b0 = _mm256_loadu_ps(B + (long)k * N + j);
        const __m256 b1 = _mm256_loadu_ps(B + (long)k * N + j + 8);
        __m256 av = _mm256_broadcast_ss(a + k);
        c00 = FMADD(av, b0, c00); c01 = FMADD(av, b1, c01);
        av = _mm256_broadcast_ss(a + K + k);
        c10 = FMADD(av, b0, c10); c11 = FMADD(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2 * K + k);
        c20 = FMADD(av, b0, c20); c21 = FMADD(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3 * K + k);
        c30 = FMADD(av, b0, c30); c31 = FMADD(av, b1, c31);
      }
      float* c = C + (long)i * N + j;
      _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01); c += N;
      _mm256_storeu_ps(c, c10); _mm256_storeu_ps(c + 8, c11); c += N;
      _mm256_storeu_ps(c, c20); _mm256_storeu_ps(c + 8, c21); c += N;
      _mm256_storeu_ps(c, c30); _mm256_storeu_ps(c + 8, c31);
    }
  edge_block(A, B, C, N, K, 0, M4, N16, N);
  edge_block(A, B, C, N, K, M4, M, 0, N);
}
#else
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  for (int i = 0; i < M; ++i) {
    float* c = C + (long)i * N;
    for (int j = 0; j < N; ++j) c[j] = 0.0f;
    for (int k = 0; k < K; ++k) {
      const float a = A[(long)i * K + k];
      const float* b = B + (long)k * N;
      for (int j = 0; j < N; ++j) c[j] += a * b[j];
    }
  }
}
#endif
