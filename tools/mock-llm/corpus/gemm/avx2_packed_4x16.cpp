// variant: gemm/avx2_packed_4x16
// techniques: packing, register_blocking, simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: Packs each 16-column panel of B contiguously (zero-padded at the right edge) and runs a 4x16 AVX2 register-blocked micro-kernel over it, with a narrower path for the last rows.
#include <vector>
#ifdef __AVX2__
#include <immintrin.h>
#ifdef __FMA__
#define FMADD(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define FMADD(a, b, c) _mm256_add_ps(_mm256_mul_ps(a, b), c)
#endif
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  std::vector<float> panel((size_t)K * 16);
  for (int j = 0; j < N; j += 16) {
    const int w = N - j < 16 ? N - j : 16;
    for (int k = 0; k < K; ++k)
      for (int l = 0; l < 16; ++l) panel[(size_t)k * 16 + l] = l < w ? B[(long)k * N + j + l] : 0.0f;
    const float* p = panel.data();
    for (int i = 0; i < M; i += 4) {
      const int h = M - i < 4 ? M - i : 4;
      __m256 acc[4][2];
      for (int r = 0; r < 4; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
      if (h == 4) {
        for (int k = 0; k < K; ++k) {
          const __m256 b0 = _mm256_loadu_ps(p + k * 16), b1 = _mm256_loadu_ps(p + k * 16 + 8);
          for (int r = 0; r < 4; ++r) {
            const __m256 av = _mm256_broadcast_ss(A + (long)(i + r) * K + k);
            acc[r][0] = FMADD(av, b0, acc[r][0]);
            acc[r][1] = FMADD(av, b1, acc[r][1]);
          }
        }
      } else {
        for (int k = 0; k < K; ++k) {
          const __m256 b0 = _mm256_loadu_ps(p + k * 16), b1 = _mm256_loadu_ps(p + k * 16 + 8);
          for (int r = 0; r < h; ++r) {
            const __m256 av = _mm256_broadcast_ss(A + (long)(i + r) * K + k);
            acc[r][0] = FMADD(av, b0, acc[r][0]);
            acc[r][1] = FMADD(av, b1, acc[r][1]);
          }
        }
      }
      for (int r = 0; r < h; ++r) {
        float* c = C + (long)(i + r) * N + j;
        if (w == 16) {
          _mm256_storeu_ps(c, acc[r][0]);
          _mm256_storeu_ps(c + 8, acc[r][1]);
        } else {
          alignas(32) float t[16];
          _mm256_store_ps(t, acc[r][0]);
          _mm256_store_ps(t + 8, acc[r][1]);
          for (int l = 0; l < w; ++l) c[l] = t[l];
        }
      }
    }
  }
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
