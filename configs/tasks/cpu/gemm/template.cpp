// GEMM template: C[M][N] = A[M][K] * B[K][N], row-major.
// Knobs:
//   KERNEL   0: i-j-k dot products (strided B, like the reference);
//            1: i-k-j row updates (C row += A[i][k] * B row; contiguous, any shape);
//            2: register tile of MR x NR outputs held in 16-lane vectors for the
//               whole k loop. Tiles cover the matrix with NO edge handling:
//               wrong when M % MR != 0 or N % NR != 0.
//   MR       rows per register tile (1, 2, 3, 4); KERNEL 2 only.
//   NR       columns per register tile (16, 32, 48, 64); KERNEL 2 only.
//   UNROLL_K #pragma GCC unroll factor of the k loop (1, 4).
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

typedef float kf_v16 __attribute__((vector_size(16 * sizeof(float))));
static inline kf_v16 kf_load(const float* p) { kf_v16 v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_v16 v) { std::memcpy(p, &v, sizeof v); }

void gemm(const float* __restrict A, const float* __restrict B, float* __restrict C,
          int M, int N, int K) {
#if KERNEL == 0
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float s = 0.0f;
      KF_UNROLL(UNROLL_K)
      for (int k = 0; k < K; ++k) s += A[(long)i * K + k] * B[(long)k * N + j];
      C[(long)i * N + j] = s;
    }
#elif KERNEL == 1
  for (int i = 0; i < M; ++i) {
    float* __restrict c = C + (long)i * N;
    for (int j = 0; j < N; ++j) c[j] = 0.0f;
    KF_UNROLL(UNROLL_K)
    for (int k = 0; k < K; ++k) {
      const float a = A[(long)i * K + k];
      const float* __restrict b = B + (long)k * N;
      for (int j = 0; j < N; ++j) c[j] += a * b[j];
    }
  }
#else
  constexpr int NV = NR / 16;
  for (int i = 0; i + MR <= M; i += MR)
    for (int j = 0; j + NR <= N; j += NR) {
      kf_v16 acc[MR][NV];
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) acc[r][v] = kf_v16{};
      KF_UNROLL(UNROLL_K)
      for (int k = 0; k < K; ++k) {
        kf_v16 b[NV];
        for (int v = 0; v < NV; ++v) b[v] = kf_load(B + (long)k * N + j + 16 * v);
        for (int r = 0; r < MR; ++r) {
          const float a = A[(long)(i + r) * K + k];
          for (int v = 0; v < NV; ++v) acc[r][v] += a * b[v];
        }
      }
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) kf_store(C + (long)(i + r) * N + j + 16 * v, acc[r][v]);
    }
#endif
}
