// Layer normalization template: one block of BLOCK threads per row.
// Knobs:
//   BLOCK    threads per block (multiple of 32).
//   VEC      floats per access, 1 or 4 (float4 when cols % 4 == 0).
//   ONEPASS  0: mean, then the variance around it (two reductions);
//            1: sum and sum of squares in one pass (var = E[x^2] - mean^2).
#include <cuda_runtime.h>
#include <cmath>

__device__ __forceinline__ float kf_sum(float v, float* part) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
  __syncthreads();
  v = threadIdx.x < BLOCK / 32 ? part[threadIdx.x] : 0.0f;
  if (threadIdx.x < 32) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (threadIdx.x == 0) part[0] = v;
  }
  __syncthreads();
  return part[0];
}

__global__ void __launch_bounds__(BLOCK) kf_layernorm(const float* __restrict__ x, const float* __restrict__ gamma,
                                                      const float* __restrict__ beta, float* __restrict__ y, int cols) {
  __shared__ float part[32];
  const float* xr = x + (long)blockIdx.x * cols;
  float* yr = y + (long)blockIdx.x * cols;
  const bool vec = VEC == 4 && cols % 4 == 0;
  float s = 0.0f;
  float q = 0.0f;
  if (vec) {
    for (int j = threadIdx.x; j < cols / 4; j += BLOCK) {
      float4 v = reinterpret_cast<const float4*>(xr)[j];
      s += (v.x + v.y) + (v.z + v.w);
      if (ONEPASS) q += (v.x * v.x + v.y * v.y) + (v.z * v.z + v.w * v.w);
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += BLOCK) {
      float v = xr[j];
      s += v;
      if (ONEPASS) q += v * v;
    }
  }
  const float mean = kf_sum(s, part) / cols;
  float var;
  if (ONEPASS) {
    var = fmaxf(kf_sum(q, part) / cols - mean * mean, 0.0f);
  } else {
    float d2 = 0.0f;
    for (int j = threadIdx.x; j < cols; j += BLOCK) {
      float d = xr[j] - mean;
      d2 += d * d;
    }
    var = kf_sum(d2, part) / cols;
  }
  const float rstd = rsqrtf(var + 1e-5f);
  if (vec) {
    for (int j = threadIdx.x; j < cols / 4; j += BLOCK) {
      float4 v = reinterpret_cast<const float4*>(xr)[j];
      float4 g = reinterpret_cast<const float4*>(gamma)[j];
      float4 b = reinterpret_cast<const float4*>(beta)[j];
      reinterpret_cast<float4*>(yr)[j] = make_float4((v.x - mean) * rstd * g.x + b.x, (v.y - mean) * rstd * g.y + b.y,
                                                     (v.z - mean) * rstd * g.z + b.z, (v.w - mean) * rstd * g.w + b.w);
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += BLOCK) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}

void layernorm(const float* x, const float* gamma, const float* beta, float* y, int rows, int cols) {
  kf_layernorm<<<rows, BLOCK>>>(x, gamma, beta, y, cols);
}
