// GELU (tanh form) template.
// Knobs:
//   BLOCK  threads per block (128..1024).
//   VEC    floats per access: 1 (float), 2 (float2), 4 (float4); the tail is scalar.
//   ITEMS  accesses per thread, all loads issued before the first store (unrolled).
//   FAST   0: tanhf; 1: tanh through __expf (fast intrinsic, about 1e-6 relative error).
#include <cuda_runtime.h>
#include <cmath>

__device__ __forceinline__ float kf_gelu(float v) {
  float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
#if FAST
  float t = 1.0f - 2.0f / (__expf(2.0f * u) + 1.0f);
#else
  float t = tanhf(u);
#endif
  return 0.5f * v * (1.0f + t);
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

__global__ void __launch_bounds__(BLOCK) kf_gelu_kernel(const float* __restrict__ x, float* __restrict__ y, int n) {
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

void gelu_tanh(const float* x, float* y, int n) {
  int per_block = BLOCK * ITEMS;
  int blocks = (n / VEC + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  kf_gelu_kernel<<<blocks, BLOCK>>>(x, y, n);
}
