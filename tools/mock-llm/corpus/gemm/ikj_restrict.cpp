// variant: gemm/ikj_restrict
// techniques: loop_interchange, restrict_aliasing
// expect: correct
// mistake: none
// summary: Reordered the loops to i-k-j so the inner loop streams rows of B and C with unit stride and auto-vectorizes; C rows are zeroed first.
void gemm(const float* __restrict A, const float* __restrict B, float* __restrict C, int M, int N, int K) {
  for (int i = 0; i < M; ++i) {
    float* __restrict c = C + (long)i * N;
    for (int j = 0; j < N; ++j) c[j] = 0.0f;
    for (int k = 0; k < K; ++k) {
      const float a = A[(long)i * K + k];
      const float* __restrict b = B + (long)k * N;
      for (int j = 0; j < N; ++j) c[j] += a * b[j];
    }
  }
}
