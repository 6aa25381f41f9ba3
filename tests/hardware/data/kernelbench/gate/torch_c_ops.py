# torch._C's operator namespace (torch._C._nn.leaky_relu is F.leaky_relu's ATen op): not refused by
# the gate, but a ModelNew made of it launches no kernel of its own (bypass).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return torch._C._nn.leaky_relu(x, self.negative_slope)
