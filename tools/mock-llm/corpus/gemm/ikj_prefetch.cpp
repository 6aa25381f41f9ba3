// variant: gemm/ikj_prefetch
// techniques: loop_interchange, software_prefetch, restrict_aliasing
// expect: correct
// mistake: none
// summary: i-k-j loop order with a prefetch of the next row of B issued inside the inner loop.
void gemm(const float* __restrict A, const float* __restrict B, float* __restrict C, int M, int N, int K) {
  for (int i = 0; i < M; ++i) {
    float* __restrict c = C + (long)i * N;
    for (int j = 0; j < N; ++j) c[j] = 0.0f;
    for (int k = 0; k < K; ++k) {
      const float a = A[(long)i * K + k];
      const float* __restrict b = B + (long)k * N;
      const float* nb = b + N;
      for (int j = 0; j < N; ++j) {
        if ((j & 15) == 0 && k + 1 < K) __builtin_prefetch(nb + j);
        c[j] += a * b[j];
      }
    }
  }
}
