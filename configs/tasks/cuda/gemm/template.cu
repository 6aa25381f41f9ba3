// SGEMM template: shared-memory tiling with register blocking along rows.
// A block computes a TILE x TILE tile of C with TILE x (TILE / WPT) threads; each
// thread keeps WPT outputs of one column in registers.
// Knobs:
//   TILE  tile edge (16 or 32): the K loop steps by TILE through shared memory.
//   WPT   outputs per thread (1, 2, 4, 8): more reuse of each B element from shared memory.
//   PAD   0 or 1 float of padding per shared-memory row (bank conflicts).
#include <cuda_runtime.h>

#define KF_TY (TILE / WPT)

__global__ void __launch_bounds__(TILE * KF_TY) kf_gemm(const float* __restrict__ A, const float* __restrict__ B,
                                                         float* __restrict__ C, int M, int N, int K) {
  __shared__ float As[TILE][TILE + PAD];
  __shared__ float Bs[TILE][TILE + PAD];
  const int tx = threadIdx.x;
  const int ty = threadIdx.y;
  const int row0 = blockIdx.y * TILE;
  const int col = blockIdx.x * TILE + tx;
  float acc[WPT];
#pragma unroll
  for (int w = 0; w < WPT; ++w) acc[w] = 0.0f;
  for (int k0 = 0; k0 < K; k0 += TILE) {
#pragma unroll
    for (int w = 0; w < WPT; ++w) {
      const int r = ty + w * KF_TY;
      const int ar = row0 + r;
      const int ac = k0 + tx;
      As[r][tx] = (ar < M && ac < K) ? A[(long)ar * K + ac] : 0.0f;
      const int br = k0 + r;
      Bs[r][tx] = (br < K && col < N) ? B[(long)br * N + col] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < TILE; ++k) {
      const float b = Bs[k][tx];
#pragma unroll
      for (int w = 0; w < WPT; ++w) acc[w] = fmaf(As[ty + w * KF_TY][k], b, acc[w]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int w = 0; w < WPT; ++w) {
    const int r = row0 + ty + w * KF_TY;
    if (r < M && col < N) C[(long)r * N + col] = acc[w];
  }
}

void gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  dim3 block(TILE, KF_TY);
  dim3 grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE);
  kf_gemm<<<grid, block>>>(A, B, C, M, N, K);
}
