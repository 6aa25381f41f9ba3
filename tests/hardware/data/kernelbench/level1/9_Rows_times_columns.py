import torch
import torch.nn as nn


class Model(nn.Module):
    """Several inputs: a batched product of two matrices, plus a bias vector and a label tensor."""

    def __init__(self):
        super().__init__()

    def forward(self, A, B, bias, labels):
        return A @ B + bias


M, K, N = 16, 32, 8
batch = 2; extra = 1


def get_inputs():
    A = torch.randn(batch, M, K)
    B = torch.randn(batch, K, N)
    bias = torch.rand((N,))
    labels = torch.randint(0, 10, (batch, M + extra - 1))
    return [A, B, bias, labels]


def get_init_inputs():
    return []
