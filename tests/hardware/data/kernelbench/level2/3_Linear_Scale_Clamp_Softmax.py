import torch
import torch.nn as nn


class Model(nn.Module):
    """A fused level-2 chain: linear layer, scaling, clamping, softmax."""

    def __init__(self, in_features, out_features, scale, lo, hi):
        super(Model, self).__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.scale = scale
        self.lo = lo
        self.hi = hi

    def forward(self, x):
        x = self.fc(x)
        x = x * self.scale
        x = torch.clamp(x, min=self.lo, max=self.hi)
        return torch.softmax(x, dim=1)


batch_size = 64
in_features = 128
out_features = 96
scale = 0.5
lo, hi = -1.0, 1.0


def get_inputs():
    return [torch.rand(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, scale, lo, hi]
