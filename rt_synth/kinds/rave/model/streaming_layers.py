"""Causal convolutions that run offline (whole signal) or block by block with a cache, and
agree exactly. Same semantics as the C++ core's CachedConv1d / CachedConvTranspose1d
(docs/core-layers.md), so the weights move across unchanged.

CachedConv1d:   y = conv1d(pad_left(x, (k-1)*d), W, b, stride=s, dilation=d)
    Output t depends on input frames <= t*s: zero delay, and a residual branch made of such
    layers is aligned with its skip without any delay compensation.
    Streaming state ("buffer"): the input frames not yet consumed, starting at the first
    frame the next output needs. Initially (k-1)*d zeros. A block of n frames yields
    0..ceil(n/s) outputs depending on the stride phase, which the buffer length encodes.
    With blocks that are multiples of s the buffer keeps a constant length (k-1)*d, which
    is what the ONNX export relies on.

CachedConvTranspose1d:   y = conv_transpose1d(x, W, b, stride=s)[..., :T*s]
    The last k-s frames of the full transposed output belong to input not seen yet; they
    come out with the next block. Streaming state: the last Q-1 input frames, Q = ceil(k/s)
    (output phase p of frame t is sum_q W[:, :, p+q*s] x[t-q]; the C++ layer is polyphase).
"""
from __future__ import annotations

from typing import List, Tuple

import torch
from torch import nn
from torch.nn import functional as F


class CachedConv1d(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1,
                 dilation: int = 1, bias: bool = True):
        super().__init__()
        if stride > 1 and (kernel - 1) * dilation < stride - 1:
            # the buffer could not hold the frames the next output skips; no model needs it
            raise ValueError(f"CachedConv1d needs (kernel-1)*dilation >= stride-1, got "
                             f"kernel {kernel}, dilation {dilation}, stride {stride}")
        self.conv = nn.Conv1d(c_in, c_out, kernel, stride=stride, dilation=dilation, bias=bias)
        self.c_in, self.kernel, self.stride, self.dilation = c_in, kernel, stride, dilation
        self.pad = (kernel - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Offline: [B, C_in, T] -> [B, C_out, ceil(T/s)]."""
        return self.conv(F.pad(x, (self.pad, 0)))

    def initial_state(self, batch: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.zeros(batch, self.c_in, self.pad, dtype=dtype)

    def step(self, x: torch.Tensor, buf: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """One block: (x [B, C_in, n], buffer) -> (y [B, C_out, m], buffer')."""
        full = torch.cat([buf, x], dim=-1)
        avail = full.shape[-1] - self.pad  # frames that can end an output window
        m = (avail - 1) // self.stride + 1 if avail > 0 else 0
        if m > 0:
            y = self.conv(full[..., : self.pad + (m - 1) * self.stride + 1])
        else:
            y = full.new_zeros(full.shape[0], self.conv.out_channels, 0)
        return y, full[..., m * self.stride:]


class CachedConvTranspose1d(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, bias: bool = True):
        super().__init__()
        if kernel < stride:
            raise ValueError(f"CachedConvTranspose1d needs kernel >= stride, got {kernel} < {stride}")
        self.conv = nn.ConvTranspose1d(c_in, c_out, kernel, stride=stride, bias=bias)
        self.c_in, self.kernel, self.stride = c_in, kernel, stride
        self.history = -(-kernel // stride) - 1  # Q - 1 input frames

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Offline: [B, C_in, T] -> [B, C_out, T*s]."""
        return self.conv(x)[..., : x.shape[-1] * self.stride]

    def initial_state(self, batch: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.zeros(batch, self.c_in, self.history, dtype=dtype)

    def step(self, x: torch.Tensor, hist: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        full = torch.cat([hist, x], dim=-1)
        if full.shape[-1] == 0:  # k == s and an empty block: nothing to do
            return x.new_zeros(x.shape[0], self.conv.out_channels, 0), hist
        y = self.conv(full)
        start = self.history * self.stride
        y = y[..., start: start + x.shape[-1] * self.stride]
        return y, full[..., full.shape[-1] - self.history:]


def conv_states(layers: List[nn.Module], batch: int, dtype=torch.float32) -> List[torch.Tensor]:
    return [layer.initial_state(batch, dtype) for layer in layers]
