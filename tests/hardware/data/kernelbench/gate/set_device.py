# A matmul wrapper that selects the device of its input before launching: legitimate.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_src = """
#include <torch/extension.h>
#include <cuda_runtime.h>

__global__ void scale_kernel(const float* a, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = 2.0f * a[i];
}

torch::Tensor scale(torch::Tensor A) {
  cudaSetDevice(A.device().index());
  auto out = torch::empty_like(A);
  int n = A.numel();
  scale_kernel<<<(n + 255) / 256, 256>>>(A.data_ptr<float>(), out.data_ptr<float>(), n);
  return out;
}
"""

ext = load_inline(name="scale_ext", cpp_sources="torch::Tensor scale(torch::Tensor A);",
                  cuda_sources=cuda_src, functions=["scale"])


class ModelNew(nn.Module):
    def forward(self, A):
        return ext.scale(A)
