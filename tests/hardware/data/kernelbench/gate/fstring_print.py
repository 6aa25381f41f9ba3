# A kernel whose extension build is reported with f-strings (print(f"...{e}")): legitimate. The
# expressions in the braces are ordinary nodes to the gate.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_src = """
#include <torch/extension.h>

__global__ void selu_kernel(const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float v = x[i];
    y[i] = 1.0507009873554805f * (v > 0.0f ? v : 1.6732632423543772f * (expf(v) - 1.0f));
  }
}

torch::Tensor selu(torch::Tensor x) {
  auto y = torch::empty_like(x);
  int n = x.numel();
  selu_kernel<<<(n + 255) / 256, 256>>>(x.data_ptr<float>(), y.data_ptr<float>(), n);
  return y;
}
"""

try:
    ext = load_inline(name="selu_fstring", cpp_sources="torch::Tensor selu(torch::Tensor x);",
                      cuda_sources=cuda_src, functions=["selu"], verbose=False)
except Exception as e:
    print(f"the extension did not build: {e!r} ({len(cuda_src)} bytes of source)")
    raise


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.selu(x.contiguous())
