// Row reduction template (sum or max, chosen by the task's OP define below the knobs).
// One block of BLOCK threads per row; each thread keeps ACC independent partial
// results, reads VEC floats per access (vector loads when cols % VEC == 0, else
// scalar), then a warp-shuffle reduction and one through shared memory.
// Knobs:
//   BLOCK  threads per block (a multiple of 32, up to 1024).
//   VEC    floats per access (1 or 4).
//   ACC    independent accumulators per thread (1, 2, 4): breaks the add chain.
#include <cuda_runtime.h>
#include <cmath>

#define KF_MAX 1
#ifndef KF_MAX
#define KF_MAX 0
#endif

__device__ __forceinline__ float kf_id() { return KF_MAX ? -INFINITY : 0.0f; }
__device__ __forceinline__ float kf_op(float a, float b) { return KF_MAX ? fmaxf(a, b) : a + b; }

__global__ void __launch_bounds__(BLOCK) kf_row_reduce(const float* __restrict__ x, float* __restrict__ y, int cols) {
  const float* row = x + (long)blockIdx.x * cols;
  float acc[ACC];
#pragma unroll
  for (int a = 0; a < ACC; ++a) acc[a] = kf_id();
  if (VEC == 4 && cols % 4 == 0) {
    const float4* rv = reinterpret_cast<const float4*>(row);
    const int n4 = cols / 4;
    int j = threadIdx.x;
    for (; j + (ACC - 1) * BLOCK < n4; j += ACC * BLOCK) {
#pragma unroll
      for (int a = 0; a < ACC; ++a) {
        float4 v = rv[j + a * BLOCK];
        acc[a] = kf_op(acc[a], kf_op(kf_op(v.x, v.y), kf_op(v.z, v.w)));
      }
    }
    for (; j < n4; j += BLOCK) {
      float4 v = rv[j];
      acc[0] = kf_op(acc[0], kf_op(kf_op(v.x, v.y), kf_op(v.z, v.w)));
    }
  } else {
    int j = threadIdx.x;
    for (; j + (ACC - 1) * BLOCK < cols; j += ACC * BLOCK) {
#pragma unroll
      for (int a = 0; a < ACC; ++a) acc[a] = kf_op(acc[a], row[j + a * BLOCK]);
    }
    for (; j < cols; j += BLOCK) acc[0] = kf_op(acc[0], row[j]);
  }
  float v = acc[0];
#pragma unroll
  for (int a = 1; a < ACC; ++a) v = kf_op(v, acc[a]);
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = kf_op(v, __shfl_xor_sync(0xffffffffu, v, o));
  __shared__ float warp_part[BLOCK / 32];
  if ((threadIdx.x & 31) == 0) warp_part[threadIdx.x >> 5] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < BLOCK / 32 ? warp_part[threadIdx.x] : kf_id();
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = kf_op(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (threadIdx.x == 0) y[blockIdx.x] = v;
  }
}

#if KF_MAX
void row_max(const float* x, float* y, int rows, int cols) {
#else
void row_sum(const float* x, float* y, int rows, int cols) {
#endif
  kf_row_reduce<<<rows, BLOCK>>>(x, y, cols);
}
