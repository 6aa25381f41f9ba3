// z = a * x + y template.
// Knobs:
//   BLOCK  threads per block.
//   VEC    floats per access: 1, 2 or 4 (float, float2, float4); the tail is scalar.
//   ITEMS  accesses per thread, loads first (unrolled).
#include <cuda_runtime.h>

#if VEC == 4
typedef float4 kf_vec;
__device__ __forceinline__ kf_vec kf_fma(float a, kf_vec x, kf_vec y) {
  return make_float4(fmaf(a, x.x, y.x), fmaf(a, x.y, y.y), fmaf(a, x.z, y.z), fmaf(a, x.w, y.w));
}
#elif VEC == 2
typedef float2 kf_vec;
__device__ __forceinline__ kf_vec kf_fma(float a, kf_vec x, kf_vec y) { return make_float2(fmaf(a, x.x, y.x), fmaf(a, x.y, y.y)); }
#else
typedef float kf_vec;
__device__ __forceinline__ kf_vec kf_fma(float a, kf_vec x, kf_vec y) { return fmaf(a, x, y); }
#endif

__global__ void __launch_bounds__(BLOCK) kf_axpy(const float* __restrict__ x, const float* __restrict__ y,
                                                 float* __restrict__ z, float a, int n) {
  const int nvec = n / VEC;
  const kf_vec* xv = reinterpret_cast<const kf_vec*>(x);
  const kf_vec* yv = reinterpret_cast<const kf_vec*>(y);
  kf_vec* zv = reinterpret_cast<kf_vec*>(z);
  const int base = blockIdx.x * BLOCK * ITEMS + threadIdx.x;
  kf_vec rx[ITEMS];
  kf_vec ry[ITEMS];
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    int i = base + k * BLOCK;
    if (i < nvec) {
      rx[k] = xv[i];
      ry[k] = yv[i];
    }
  }
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    int i = base + k * BLOCK;
    if (i < nvec) zv[i] = kf_fma(a, rx[k], ry[k]);
  }
  if (blockIdx.x == 0)
    for (int i = nvec * VEC + threadIdx.x; i < n; i += BLOCK) z[i] = fmaf(a, x[i], y[i]);
}

void axpy(const float* x, const float* y, float* z, float a, int n) {
  int per_block = BLOCK * ITEMS;
  int blocks = (n / VEC + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  kf_axpy<<<blocks, BLOCK>>>(x, y, z, a, n);
}
