import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(x)


class Model(nn.Module):
    """A small level-3 network: a stem, residual blocks in a loop, a classifier."""

    def __init__(self, channels, blocks, classes):
        super(Model, self).__init__()
        self.stem = nn.Conv2d(3, channels, 7, stride=2, padding=3)
        self.blocks = nn.ModuleList([Block(channels) for _ in range(blocks)])
        self.head = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = x + block(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


channels = 16
blocks = 2
classes = 10
size = int(64 / 2)


def get_inputs():
    return [torch.randn(2, 3, size, size)]


def get_init_inputs():
    return [channels, blocks, classes]
