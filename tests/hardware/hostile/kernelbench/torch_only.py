# Hostile: a ModelNew that calls only torch ops (here in-place, to look faster): KernelBench's own
# checker rejects it; kforge judged it correct before.
# Expected: gate passes; verdict bypass (no kernel of its own).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        torch.sigmoid_(x)
        return x
