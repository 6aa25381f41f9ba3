# A KernelBench-format problem written for kforge's tests (not from KernelBench).
import torch
import torch.nn as nn


class Model(nn.Module):
    """LeakyReLU with a slope given at construction."""

    def __init__(self, negative_slope: float = 0.01):
        super(Model, self).__init__()
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.leaky_relu(x, negative_slope=self.negative_slope)


batch_size = 32
dim = 4096


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return [0.05]
