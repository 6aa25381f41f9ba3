# A KernelBench-format problem written for kforge's tests (not from KernelBench): a softmax over
# rows so wide (393216) that every output is below atol 1e-4, the shape of KernelBench's
# 23_Softmax where zeros pass allclose. The inputs are scaled by 0.5: with plain randn the
# largest outputs (about 2.4e-4, measured on the H200) were above atol and allclose alone
# called zeros wrong.
import torch
import torch.nn as nn


class Model(nn.Module):
    """Softmax over the last dimension."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=1)


batch_size = 16
dim = 393216


def get_inputs():
    x = torch.randn(batch_size, dim) * 0.5
    return [x]


def get_init_inputs():
    return []
