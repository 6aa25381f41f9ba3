# Hostile: the kernel call always throws (a shape check it never meets) into an except that
# computes the answer with torch.
# Expected: gate passes; verdict bypass (every extension call sits in a try that falls back);
# with the static check off, the harness sees no extension function return in a trial (bypass).
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_src = """
#include <torch/extension.h>
__global__ void tanh_kernel(const float* x, float* y, long n) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = tanhf(x[i]);
}
torch::Tensor fast_tanh(torch::Tensor x) {
  TORCH_CHECK(x.dim() == 7, "fast_tanh wants a 7-d tensor");
  auto y = torch::empty_like(x);
  tanh_kernel<<<(x.numel() + 255) / 256, 256>>>(x.data_ptr<float>(), y.data_ptr<float>(), x.numel());
  return y;
}
"""

ext = load_inline(name="tanh_fallback", cpp_sources="torch::Tensor fast_tanh(torch::Tensor x);",
                  cuda_sources=cuda_src, functions=["fast_tanh"])


class ModelNew(nn.Module):
    def forward(self, x):
        try:
            return ext.fast_tanh(x)
        except RuntimeError:
            return torch.tanh(x)
