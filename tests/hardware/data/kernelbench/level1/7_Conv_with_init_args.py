import torch
import torch.nn as nn


class Model(nn.Module):
    """A 2D convolution whose layer is built from init arguments."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1):
        super(Model, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, (kernel_size, kernel_size), stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


batch = 4
in_channels = 3
out_channels = 8
kernel_size = 3
height = width = 2 ** 5  # chained, and a power
image = (in_channels, height, width)


def get_inputs():
    return [torch.rand(batch, *image)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, 2 // 1]
