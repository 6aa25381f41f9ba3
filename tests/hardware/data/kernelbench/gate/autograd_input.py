# An autograd Function whose forward names its tensor `input` and keeps a setting on ctx: legitimate.
import torch
import torch.nn as nn


class Subsample(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, stride):
        ctx.stride = stride
        ctx.shape = input.shape
        input = input.contiguous()
        return input[:, ::stride]

    @staticmethod
    def backward(ctx, grad):
        out = grad.new_zeros(ctx.shape)
        out[:, ::ctx.stride] = grad
        return out, None


class ModelNew(nn.Module):
    def forward(self, x):
        return Subsample.apply(x, 2)
