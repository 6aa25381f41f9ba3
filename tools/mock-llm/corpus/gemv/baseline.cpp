// variant: gemv/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Plain row-by-row dot product of each row of A with x, one running sum per row.
void gemv(const float* A, const float* x, float* y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + (long)i * N;
    float s = 0.0f;
    for (int j = 0; j < N; ++j) s += a[j] * x[j];
    y[i] = s;
  }
}
