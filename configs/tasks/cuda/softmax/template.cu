// Row-wise softmax template: one block of BLOCK threads per row.
// Knobs:
//   BLOCK  threads per block (multiple of 32).
//   VEC    floats per access, 1 or 4 (float4 when cols % 4 == 0).
//   CACHE  0: three passes over global memory; 1: the row's exponentials are kept in
//          dynamic shared memory (cols floats) between the sum and the scaling.
//   FAST   0: expf; 1: __expf.
#include <cuda_runtime.h>
#include <cmath>

__device__ __forceinline__ float kf_exp(float v) {
#if FAST
  return __expf(v);
#else
  return expf(v);
#endif
}

// Block-wide reduction (max when IS_MAX) through warp shuffles and one shared array; every thread gets the result.
template <bool IS_MAX>
__device__ __forceinline__ float kf_block_reduce(float v, float* part) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    float w = __shfl_xor_sync(0xffffffffu, v, o);
    v = IS_MAX ? fmaxf(v, w) : v + w;
  }
  __syncthreads();
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
  __syncthreads();
  v = threadIdx.x < BLOCK / 32 ? part[threadIdx.x] : (IS_MAX ? -INFINITY : 0.0f);
  if (threadIdx.x < 32) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      float w = __shfl_xor_sync(0xffffffffu, v, o);
      v = IS_MAX ? fmaxf(v, w) : v + w;
    }
    if (threadIdx.x == 0) part[0] = v;
  }
  __syncthreads();
  return part[0];
}

__global__ void __launch_bounds__(BLOCK) kf_softmax(const float* __restrict__ x, float* __restrict__ y, int cols) {
  __shared__ float part[32];
  extern __shared__ float kf_cache[];
  const float* xr = x + (long)blockIdx.x * cols;
  float* yr = y + (long)blockIdx.x * cols;
  const bool vec = VEC == 4 && cols % 4 == 0;
  float m = -INFINITY;
  if (vec) {
    for (int j = threadIdx.x; j < cols / 4; j += BLOCK) {
      float4 v = reinterpret_cast<const float4*>(xr)[j];
      m = fmaxf(m, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)));
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += BLOCK) m = fmaxf(m, xr[j]);
  }
  m = kf_block_reduce<true>(m, part);
  float s = 0.0f;
  if (vec) {
    for (int j = threadIdx.x; j < cols / 4; j += BLOCK) {
      float4 v = reinterpret_cast<const float4*>(xr)[j];
      float4 e = make_float4(kf_exp(v.x - m), kf_exp(v.y - m), kf_exp(v.z - m), kf_exp(v.w - m));
      if (CACHE) reinterpret_cast<float4*>(kf_cache)[j] = e;
      s += (e.x + e.y) + (e.z + e.w);
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += BLOCK) {
      float e = kf_exp(xr[j] - m);
      if (CACHE) kf_cache[j] = e;
      s += e;
    }
  }
  s = kf_block_reduce<false>(s, part);
  const float inv = 1.0f / s;
  if (vec) {
    for (int j = threadIdx.x; j < cols / 4; j += BLOCK) {
      float4 e;
      if (CACHE) {
        e = reinterpret_cast<const float4*>(kf_cache)[j];
      } else {
        float4 v = reinterpret_cast<const float4*>(xr)[j];
        e = make_float4(kf_exp(v.x - m), kf_exp(v.y - m), kf_exp(v.z - m), kf_exp(v.w - m));
      }
      reinterpret_cast<float4*>(yr)[j] = make_float4(e.x * inv, e.y * inv, e.z * inv, e.w * inv);
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += BLOCK) yr[j] = (CACHE ? kf_cache[j] : kf_exp(xr[j] - m)) * inv;
  }
}

void softmax_rows(const float* x, float* y, int rows, int cols) {
  size_t smem = CACHE ? sizeof(float) * (size_t)cols : 0;
  kf_softmax<<<rows, BLOCK, smem>>>(x, y, cols);
}
