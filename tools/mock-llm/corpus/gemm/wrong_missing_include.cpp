// variant: gemm/wrong_missing_include
// techniques: packing, loop_interchange
// expect: wrong
// mistake: missing_include
// summary: Copies B into a transposed scratch buffer so each output is a unit-stride dot product of two contiguous rows.
void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  std::vector<float> bt((size_t)N * K);
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < N; ++j) bt[(size_t)j * K + k] = B[(long)k * N + j];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      const float* a = A + (long)i * K;
      const float* b = bt.data() + (size_t)j * K;
      float s = 0.0f;
      for (int k = 0; k < K; ++k) s += a[k] * b[k];
      C[(long)i * N + j] = s;
    }
}
