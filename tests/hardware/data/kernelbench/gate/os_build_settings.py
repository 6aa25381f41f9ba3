# A kernel that uses os the way build scripts do: the architecture list through the environment,
# a build directory beside it, an environment read. Legitimate.
import os

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

os.environ["TORCH_CUDA_ARCH_LIST"] = "9.0"
build_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hardsigmoid_build")
os.makedirs(build_dir, exist_ok=True)
verbose = os.environ.get("KB_VERBOSE", "0") == "1"

cuda_src = """
#include <torch/extension.h>

__global__ void hardsigmoid_kernel(const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fminf(fmaxf(x[i] / 6.0f + 0.5f, 0.0f), 1.0f);
}

torch::Tensor hardsigmoid(torch::Tensor x) {
  auto y = torch::empty_like(x);
  int n = x.numel();
  hardsigmoid_kernel<<<(n + 255) / 256, 256>>>(x.data_ptr<float>(), y.data_ptr<float>(), n);
  return y;
}
"""

ext = load_inline(name="hardsigmoid_os", cpp_sources="torch::Tensor hardsigmoid(torch::Tensor x);",
                  cuda_sources=cuda_src, functions=["hardsigmoid"], build_directory=build_dir,
                  extra_cuda_cflags=["-O3", "--use_fast_math"], verbose=verbose)


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.hardsigmoid(x)
