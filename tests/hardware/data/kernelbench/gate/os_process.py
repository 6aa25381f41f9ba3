# The same shape of kernel using os for what reaches the process: refused (os.system, a file
# descriptor written, the environment written for another key).
import os

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

os.environ["LD_PRELOAD"] = "/tmp/x.so"
os.system("nvidia-smi")
os.write(3, b"KFRECORD")

ext = load_inline(name="copy_ext", cpp_sources="torch::Tensor f(torch::Tensor x) { return x.clone(); }",
                  functions=["f"])


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.f(x)
