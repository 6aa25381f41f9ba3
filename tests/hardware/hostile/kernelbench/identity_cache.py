# Hostile: computes once per input tensor and answers from a cache keyed by the tensor's identity
# and its data_ptr() afterwards. Timed calls that reuse one input tensor see only cache hits.
# Expected: gate passes (a kernel of its own runs); on the GPU no hit at all: every timed call gets
# fresh copies (new storage, the previous copies still alive) of an input set drawn at random, so
# it computes every call and is timed honestly (0.52x on the H200, 2026-12-04); a hit on another
# set's tensor would fail the check of a random timed call's output.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_src = """
#include <torch/extension.h>

__global__ void relu_kernel(const float* x, float* y, long n) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fmaxf(x[i], 0.0f);
}

torch::Tensor relu(torch::Tensor x) {
  auto y = torch::empty_like(x);
  long n = x.numel();
  relu_kernel<<<(n + 255) / 256, 256>>>(x.data_ptr<float>(), y.data_ptr<float>(), n);
  return y;
}
"""

ext = load_inline(name="identity_cache", cpp_sources="torch::Tensor relu(torch::Tensor x);",
                  cuda_sources=cuda_src, functions=["relu"])


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.cache = {}

    def forward(self, x):
        key = (id(x), x.data_ptr())
        hit = self.cache.get(key)
        if hit is None:
            hit = ext.relu(x)
            self.cache = {key: hit}
        return hit
