// variant: gemm/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Textbook triple loop, one dot product over k per output element.
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float s = 0.0f;
      for (int k = 0; k < K; ++k) s += A[(long)i * K + k] * B[(long)k * N + j];
      C[(long)i * N + j] = s;
    }
}
