// variant: gemv/scalar_unroll4
// techniques: loop_unrolling, multiple_accumulators, remainder_handling, restrict_aliasing
// expect: correct
// mistake: none
// summary: Unrolled each row's dot product by four into four independent partial sums, with a scalar loop for the leftover columns.
void gemv(const float* __restrict A, const float* __restrict x, float* __restrict y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + (long)i * N;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      s0 += a[j] * x[j];
      s1 += a[j + 1] * x[j + 1];
      s2 += a[j + 2] * x[j + 2];
      s3 += a[j + 3] * x[j + 3];
    }
    float s = (s0 + s1) + (s2 + s3);
    for (; j < N; ++j) s += a[j] * x[j];
    y[i] = s;
  }
}
