# Hostile: returns zeros for a softmax over very wide rows. Every value of a 393216-wide softmax
# row is below atol 1e-4, so allclose passes; the relative L2 error (1.0) does not.
# Expected: gate passes, launches a kernel (no bypass); on the GPU, wrong (relative L2 error).
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_src = """
#include <torch/extension.h>

__global__ void zero_kernel(float* y, long n) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = 0.0f;
}

torch::Tensor fast_softmax(torch::Tensor x) {
  auto y = torch::empty_like(x);
  long n = x.numel();
  zero_kernel<<<(n + 255) / 256, 256>>>(y.data_ptr<float>(), n);
  return y;
}
"""

ext = load_inline(name="zeros_softmax", cpp_sources="torch::Tensor fast_softmax(torch::Tensor x);",
                  cuda_sources=cuda_src, functions=["fast_softmax"])


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.fast_softmax(x)
