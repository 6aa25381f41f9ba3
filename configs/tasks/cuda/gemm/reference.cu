// C = A * B (row-major, M x K times K x N), reference: one thread per output, no tiling.
#include <cuda_runtime.h>

__global__ void kf_ref_gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  if (row < M && col < N) {
    float s = 0.0f;
    for (int k = 0; k < K; ++k) s += A[(long)row * K + k] * B[(long)k * N + col];
    C[(long)row * N + col] = s;
  }
}

void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  dim3 block(16, 16);
  dim3 grid((N + 15) / 16, (M + 15) / 16);
  kf_ref_gemm<<<grid, block>>>(A, B, C, M, N, K);
}
