// GEMV template: one warp per row, WARPS rows per block, a warp-shuffle reduction.
// Knobs:
//   WARPS  warps (rows) per block (1, 2, 4, 8).
//   VEC    floats per access, 1 or 4 (float4 when K % 4 == 0).
//   ACC    independent accumulators per lane (1, 2, 4).
#include <cuda_runtime.h>

__global__ void __launch_bounds__(32 * WARPS) kf_gemv(const float* __restrict__ A, const float* __restrict__ x,
                                                       float* __restrict__ y, int M, int K) {
  const int row = blockIdx.x * WARPS + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= M) return;
  const float* ar = A + (long)row * K;
  float acc[ACC];
#pragma unroll
  for (int a = 0; a < ACC; ++a) acc[a] = 0.0f;
  if (VEC == 4 && K % 4 == 0) {
    const float4* av = reinterpret_cast<const float4*>(ar);
    const float4* xv = reinterpret_cast<const float4*>(x);
    const int n4 = K / 4;
    int j = lane;
    for (; j + (ACC - 1) * 32 < n4; j += ACC * 32) {
#pragma unroll
      for (int a = 0; a < ACC; ++a) {
        float4 p = av[j + a * 32];
        float4 q = xv[j + a * 32];
        acc[a] += (p.x * q.x + p.y * q.y) + (p.z * q.z + p.w * q.w);
      }
    }
    for (; j < n4; j += 32) {
      float4 p = av[j];
      float4 q = xv[j];
      acc[0] += (p.x * q.x + p.y * q.y) + (p.z * q.z + p.w * q.w);
    }
  } else {
    int j = lane;
    for (; j + (ACC - 1) * 32 < K; j += ACC * 32) {
#pragma unroll
      for (int a = 0; a < ACC; ++a) acc[a] += ar[j + a * 32] * x[j + a * 32];
    }
    for (; j < K; j += 32) acc[0] += ar[j] * x[j];
  }
  float s = acc[0];
#pragma unroll
  for (int a = 1; a < ACC; ++a) s += acc[a];
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (lane == 0) y[row] = s;
}

void gemv(const float* A, const float* x, float* y, int M, int K) {
  kf_gemv<<<(M + WARPS - 1) / WARPS, 32 * WARPS>>>(A, x, y, M, K);
}
