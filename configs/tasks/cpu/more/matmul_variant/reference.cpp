// Matmul variants, reference: plain i-j-k dot products, row-major float32.
//   bmm:       C[b] = A[b] * B[b], A[b] m x k, B[b] k x n, C[b] m x n, for b < batch.
//   matmul_tb: C = A * B^T, A m x k, B n x k (so both operands are read along k), C m x n.

void bmm(const float* A, const float* B, float* C, int batch, int m, int k, int n) {
  for (int b = 0; b < batch; ++b) {
    const float* a = A + (long)b * m * k;
    const float* bb = B + (long)b * k * n;
    float* c = C + (long)b * m * n;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        float s = 0.0f;
        for (int p = 0; p < k; ++p) s += a[i * k + p] * bb[p * n + j];
        c[i * n + j] = s;
      }
  }
}

void matmul_tb(const float* A, const float* B, float* C, int m, int k, int n) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float s = 0.0f;
      for (int p = 0; p < k; ++p) s += A[i * k + p] * B[j * k + p];
      C[i * n + j] = s;
    }
}
