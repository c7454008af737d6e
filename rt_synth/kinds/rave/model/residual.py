"""Residual unit of the encoder and decoder:

    y = x + conv_1x1(lrelu(conv_k_dilated(lrelu(x))))

Both convolutions are causal with zero delay (streaming_layers.py), so the skip needs no
delay line: the branch output at frame t is aligned with x[t]."""
from __future__ import annotations

from typing import List, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from rt_synth.kinds.rave.model.streaming_layers import CachedConv1d


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int, slope: float):
        super().__init__()
        self.conv = CachedConv1d(channels, channels, kernel, dilation=dilation)
        self.mix = CachedConv1d(channels, channels, 1)  # k=1: no state
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(F.leaky_relu(x, self.slope))
        return x + self.mix(F.leaky_relu(h, self.slope))

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        return [self.conv.initial_state(batch)]

    def step(self, x: torch.Tensor, states: List[torch.Tensor]
             ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        h, s = self.conv.step(F.leaky_relu(x, self.slope), states[0])
        if h.shape[-1] == 0:  # an empty block (strided layers upstream produced nothing)
            return x, [s]
        return x + self.mix(F.leaky_relu(h, self.slope)), [s]
