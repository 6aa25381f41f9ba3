# A KernelBench-format problem written for kforge's tests (not from KernelBench).
import torch
import torch.nn as nn


class Model(nn.Module):
    """ReLU of a batch of vectors."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


batch_size = 64
dim = 8191


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
