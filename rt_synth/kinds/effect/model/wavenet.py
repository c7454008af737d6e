"""Causal dilated convolution stack in Neural Amp Modeler's WaveNet arrangement (van den Oord
et al. 2016; NAM's published architecture and .nam format), written from its description.

A layer array: rechannel (1×1, no bias) into `channels`; each layer a dilated causal
convolution plus a 1×1 "input mixin" of the condition (the dry input), an activation, a 1×1
back into the residual stream, and its activation added to the array's head sum; the head
sum rechannelled (1×1) to head_size. Array k+1 reads array k's residual stream and adds to
its head. The output is head_scale × the last head. Valid (unpadded) convolutions: an
output of N samples needs N + receptive_field − 1 input samples.

Knobs (docs/effect-models.md, "Knobs"): the first array's input stays the audio; the
condition becomes [audio, knob_1..knob_K] (condition_size 1 + K in every array), as NAM
conditions its WaveNet. The zero-padded past of forward() has the knobs at their first value.
"""
from __future__ import annotations

import torch
from torch import nn

from rt_synth.kinds.effect.model.lstm import with_knobs

ACTIVATIONS = {"Tanh": nn.Tanh, "ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Hardtanh": nn.Hardtanh}


class WaveNetLayer(nn.Module):
    def __init__(self, condition_size: int, channels: int, kernel_size: int, dilation: int,
                 activation: str, gated: bool):
        super().__init__()
        mid = 2 * channels if gated else channels
        self.conv = nn.Conv1d(channels, mid, kernel_size, dilation=dilation)
        self.input_mixer = nn.Conv1d(condition_size, mid, 1, bias=False)
        self.activation = ACTIVATIONS[activation]()
        self.layer1x1 = nn.Conv1d(channels, channels, 1)
        self.gated, self.channels = gated, channels

    def forward(self, x: torch.Tensor, c: torch.Tensor):
        """x [B, C, T], c [B, Cc, ≥T'] → (residual [B, C, T'], head part [B, C, T']) with
        T' = T − (kernel − 1)·dilation."""
        z = self.conv(x)
        z = z + self.input_mixer(c[..., c.shape[-1] - z.shape[-1]:])
        if self.gated:
            post = self.activation(z[:, : self.channels]) * torch.sigmoid(z[:, self.channels:])
        else:
            post = self.activation(z)
        return x[..., x.shape[-1] - post.shape[-1]:] + self.layer1x1(post), post


class WaveNetLayerArray(nn.Module):
    def __init__(self, input_size: int, condition_size: int, head_size: int, channels: int,
                 kernel_size: int, dilations, activation: str = "Tanh", gated: bool = False,
                 head_bias: bool = False):
        super().__init__()
        self.rechannel = nn.Conv1d(input_size, channels, 1, bias=False)
        self.layers = nn.ModuleList(WaveNetLayer(condition_size, channels, kernel_size, d,
                                                 activation, gated) for d in dilations)
        self.head_rechannel = nn.Conv1d(channels, head_size, 1, bias=head_bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor, head):
        x = self.rechannel(x)
        for layer in self.layers:
            x, h = layer(x, c)
            head = h if head is None else head[..., head.shape[-1] - h.shape[-1]:] + h
        return x, self.head_rechannel(head)


class WaveNetEffect(nn.Module):
    def __init__(self, layers, head_scale: float):
        super().__init__()
        self.arrays = nn.ModuleList(WaveNetLayerArray(**la) for la in layers)
        self.head_scale = float(head_scale)
        self.receptive_field = 1 + sum((la["kernel_size"] - 1) * d for la in layers
                                       for d in la["dilations"])
        self.n_knobs = int(layers[0]["condition_size"]) - 1

    def valid(self, x: torch.Tensor, knobs=None) -> torch.Tensor:
        """x [B, N] → y [B, N − receptive_field + 1]: the outputs with full history. knobs:
        normalised, [B, K] or [B, K, N]."""
        c = with_knobs(x, knobs, self.n_knobs)
        h, head = c[:, :1], None
        for arr in self.arrays:
            h, head = arr(h, c, head)
        return self.head_scale * head[:, 0]

    def forward(self, x: torch.Tensor, knobs=None) -> torch.Tensor:
        """x [B, N] → y [B, N], the input's past taken as silence (at the first knob values)."""
        if knobs is not None and knobs.dim() == 3:
            knobs = nn.functional.pad(knobs, (self.receptive_field - 1, 0), mode="replicate")
        return self.valid(nn.functional.pad(x, (self.receptive_field - 1, 0)), knobs)
