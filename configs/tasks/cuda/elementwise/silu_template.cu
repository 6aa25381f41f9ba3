// SiLU template.
// Knobs:
//   BLOCK  threads per block (128..1024).
//   VEC    floats per access: 1 (float), 2 (float2), 4 (float4); the tail is scalar.
//   ITEMS  accesses per thread, all loads issued before the first store (unrolled).
//   FAST   0: expf; 1: __expf (fast intrinsic).
#include <cuda_runtime.h>
#include <cmath>

__device__ __forceinline__ float kf_gelu(float v) {
#if FAST
  return v / (1.0f + __expf(-v));
#else
  return v / (1.0f + expf(-v));
#endif
}

#if VEC == 4
typedef float4 kf_vec;
__device__ __forceinline__ kf_vec kf_apply(kf_vec a) { return make_float4(kf_gelu(a.x), kf_gelu(a.y), kf_gelu(a.z), kf_gelu(a.w)); }
#elif VEC == 2
typedef float2 kf_vec;
__device__ __forceinline__ kf_vec kf_apply(kf_vec a) { return make_float2(kf_gelu(a.x), kf_gelu(a.y)); }
#else
typedef float kf_vec;
__device__ __forceinline__ kf_vec kf_apply(kf_vec a) { return kf_gelu(a); }
#endif

__global__ void __launch_bounds__(BLOCK) kf_silu_kernel(const float* __restrict__ x, float* __restrict__ y, int n) {
  const int nvec = n / VEC;
  const kf_vec* xv = reinterpret_cast<const kf_vec*>(x);
  kf_vec* yv = reinterpret_cast<kf_vec*>(y);
  const int base = blockIdx.x * BLOCK * ITEMS + threadIdx.x;
  kf_vec r[ITEMS];
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    int i = base + k * BLOCK;
    if (i < nvec) r[k] = xv[i];
  }
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    int i = base + k * BLOCK;
    if (i < nvec) yv[i] = kf_apply(r[k]);
  }
  if (blockIdx.x == 0)
    for (int i = nvec * VEC + threadIdx.x; i < n; i += BLOCK) y[i] = kf_gelu(x[i]);
}

void silu(const float* x, float* y, int n) {
  int per_block = BLOCK * ITEMS;
  int blocks = (n / VEC + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  kf_silu_kernel<<<blocks, BLOCK>>>(x, y, n);
}
