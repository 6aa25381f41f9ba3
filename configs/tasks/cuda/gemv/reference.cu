// y = A x (A row-major M x K), reference: one thread per row.
#include <cuda_runtime.h>

__global__ void kf_ref_gemv(const float* A, const float* x, float* y, int M, int K) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r < M) {
    float s = 0.0f;
    for (int k = 0; k < K; ++k) s += A[(long)r * K + k] * x[k];
    y[r] = s;
  }
}

void gemv(const float* A, const float* x, float* y, int M, int K) {
  kf_ref_gemv<<<(M + 127) / 128, 128>>>(A, x, y, M, K);
}
