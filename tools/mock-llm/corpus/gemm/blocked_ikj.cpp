// variant: gemm/blocked_ikj
// techniques: cache_blocking, loop_interchange, remainder_handling
// expect: correct
// mistake: none
// summary: Tiled the i-k-j loops into 32x64 blocks of C over 32-deep slices of k so the working set stays in L1, with partial tiles clipped at the edges.
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  constexpr int TI = 32, TJ = 64, TK = 32;
  for (long t = 0; t < (long)M * N; ++t) C[t] = 0.0f;
  for (int i0 = 0; i0 < M; i0 += TI)
    for (int k0 = 0; k0 < K; k0 += TK)
      for (int j0 = 0; j0 < N; j0 += TJ) {
        const int i1 = i0 + TI < M ? i0 + TI : M;
        const int k1 = k0 + TK < K ? k0 + TK : K;
        const int j1 = j0 + TJ < N ? j0 + TJ : N;
        for (int i = i0; i < i1; ++i) {
          float* c = C + (long)i * N;
          for (int k = k0; k < k1; ++k) {
            const float a = A[(long)i * K + k];
            const float* b = B + (long)k * N;
            for (int j = j0; j < j1; ++j) c[j] += a * b[j];
          }
        }
      }
}
