# kforge KernelBench candidate generator: elementwise @KIND@, CUDA through load_inline.
# Knobs (assigned above): BLOCK threads per block; VEC floats per access (1, 2, 4:
# float, float2, float4); ITEMS accesses per thread, all loads issued before the
# stores; FAST_MATH builds with nvcc --use_fast_math.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_kf_defines = "#define KF_BLOCK %d\n#define KF_VEC %d\n#define KF_ITEMS %d\n" % (BLOCK, VEC, ITEMS)
_kf_cuda = _kf_defines + r"""
#include <torch/extension.h>
#include <cuda_runtime.h>

__device__ __forceinline__ float kf_op(float v, float p0, float p1) { return @EXPR@; }

#if KF_VEC == 4
typedef float4 kf_vec;
__device__ __forceinline__ kf_vec kf_apply(kf_vec a, float p0, float p1) {
  return make_float4(kf_op(a.x, p0, p1), kf_op(a.y, p0, p1), kf_op(a.z, p0, p1), kf_op(a.w, p0, p1));
}
#elif KF_VEC == 2
typedef float2 kf_vec;
__device__ __forceinline__ kf_vec kf_apply(kf_vec a, float p0, float p1) {
  return make_float2(kf_op(a.x, p0, p1), kf_op(a.y, p0, p1));
}
#else
typedef float kf_vec;
__device__ __forceinline__ kf_vec kf_apply(kf_vec a, float p0, float p1) { return kf_op(a, p0, p1); }
#endif

__global__ void __launch_bounds__(KF_BLOCK) kf_kernel(const float* __restrict__ x, float* __restrict__ y,
                                                      long long n, float p0, float p1) {
  const long long nvec = n / KF_VEC;
  const kf_vec* xv = reinterpret_cast<const kf_vec*>(x);
  kf_vec* yv = reinterpret_cast<kf_vec*>(y);
  const long long base = (long long)blockIdx.x * KF_BLOCK * KF_ITEMS + threadIdx.x;
  kf_vec r[KF_ITEMS];
#pragma unroll
  for (int k = 0; k < KF_ITEMS; ++k) {
    const long long i = base + (long long)k * KF_BLOCK;
    if (i < nvec) r[k] = xv[i];
  }
#pragma unroll
  for (int k = 0; k < KF_ITEMS; ++k) {
    const long long i = base + (long long)k * KF_BLOCK;
    if (i < nvec) yv[i] = kf_apply(r[k], p0, p1);
  }
  if (blockIdx.x == 0) {
    for (long long i = nvec * KF_VEC + threadIdx.x; i < n; i += KF_BLOCK) y[i] = kf_op(x[i], p0, p1);
  }
}

torch::Tensor kf_forward(torch::Tensor x, double p0, double p1) {
  TORCH_CHECK(x.is_cuda(), "x must be a CUDA tensor");
  TORCH_CHECK(x.scalar_type() == torch::kFloat32, "x must be float32");
  auto xc = x.contiguous();
  auto y = torch::empty_like(xc);
  const long long n = xc.numel();
  const long long per_block = (long long)KF_BLOCK * KF_ITEMS;
  long long blocks = (n / KF_VEC + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  kf_kernel<<<(unsigned)blocks, KF_BLOCK>>>(xc.data_ptr<float>(), y.data_ptr<float>(), n, (float)p0, (float)p1);
  const cudaError_t err = cudaGetLastError();
  TORCH_CHECK(err == cudaSuccess, "kernel launch failed: ", cudaGetErrorString(err));
  return y;
}
"""
_kf_ext = load_inline(
    name="kf_elementwise",
    cpp_sources="torch::Tensor kf_forward(torch::Tensor x, double p0, double p1);",
    cuda_sources=_kf_cuda,
    functions=["kf_forward"],
    extra_cuda_cflags=["-O3"] + (["--use_fast_math"] if FAST_MATH else []),
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self@INIT_ARGS@):
        super().__init__()
@INIT_BODY@
    def forward(self, x):
        return _kf_ext.kf_forward(x, @P0@, @P1@)
