// GEMV reference: y[M] = A[M][N] * x[N], row-major A, one float dot product per row.
void gemv(const float* A, const float* x, float* y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    float s = 0.0f;
    for (int j = 0; j < N; ++j) s += A[(long)i * N + j] * x[j];
    y[i] = s;
  }
}
