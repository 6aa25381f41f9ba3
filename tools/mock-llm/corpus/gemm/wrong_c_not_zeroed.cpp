// variant: gemm/wrong_c_not_zeroed
// techniques: loop_interchange, restrict_aliasing
// expect: wrong
// mistake: uninitialized_accumulator
// summary: Interchanged to i-k-j order so the inner loop accumulates rank-1 updates into unit-stride rows of C.
void gemm(const float* __restrict A, const float* __restrict B, float* __restrict C, int M, int N, int K) {
  for (int i = 0; i < M; ++i) {
    float* __restrict c = C + (long)i * N;
    for (int k = 0; k < K; ++k) {
      const float a = A[(long)i * K + k];
      const float* __restrict b = B + (long)k * N;
      for (int j = 0; j < N; ++j) c[j] += a * b[j];
    }
  }
}
