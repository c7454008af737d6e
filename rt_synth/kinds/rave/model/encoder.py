"""Causal encoder: PQMF bands [B, M, T/M] -> posterior (mean, scale) [B, D, T/R].

    conv_in (k) -> for each stage i: ResidualUnit(d=1), lrelu, CachedConv1d(k=2s, stride s)
    -> lrelu -> conv_out (k) to 2D channels: mean = first D, scale = softplus(rest) + 1e-4

Latent frame t sees band frames <= t*R_e (samples <= t*R): no look-ahead."""
from __future__ import annotations

from typing import List, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from rt_synth.kinds.rave.model.config import RaveConfig
from rt_synth.kinds.rave.model.residual import ResidualUnit
from rt_synth.kinds.rave.model.streaming_layers import CachedConv1d


class EncoderStage(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int, slope: float):
        super().__init__()
        self.residual = ResidualUnit(c_in, kernel, 1, slope)
        self.down = CachedConv1d(c_in, c_out, 2 * stride, stride=stride)
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.leaky_relu(self.residual(x), self.slope))

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        return self.residual.initial_state(batch) + [self.down.initial_state(batch)]

    def step(self, x: torch.Tensor, states: List[torch.Tensor]
             ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        h, s0 = self.residual.step(x, states[:1])
        y, s1 = self.down.step(F.leaky_relu(h, self.slope), states[1])
        return y, s0 + [s1]


class Encoder(nn.Module):
    def __init__(self, c: RaveConfig):
        super().__init__()
        ch = c.encoder_channels
        self.conv_in = CachedConv1d(c.n_bands, ch[0], 2 * c.kernel + 1)
        self.stages = nn.ModuleList(
            [EncoderStage(ch[i], ch[i + 1], s, c.kernel, c.leaky_slope)
             for i, s in enumerate(c.encoder_strides)])
        self.conv_out = CachedConv1d(ch[-1], 2 * c.latent_size, c.kernel)
        with torch.no_grad():
            # start as a near-deterministic autoencoder (scale = softplus(-5) = 0.007): with
            # scale ~0.7 at the start the sampled z is mostly noise, the decoder learns to
            # ignore it and the posterior collapses before the KL warm-up even begins
            self.conv_out.conv.bias[c.latent_size:].fill_(-5.0)
        self.latent_size = c.latent_size
        self.slope = c.leaky_slope

    def split(self, h: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        d = self.latent_size
        return h[:, :d], F.softplus(h[:, d:]) + 1e-4

    def forward(self, bands: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        h = self.conv_in(bands)
        for stage in self.stages:
            h = stage(h)
        return self.split(self.conv_out(F.leaky_relu(h, self.slope)))

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        out = [self.conv_in.initial_state(batch)]
        for stage in self.stages:
            out += stage.initial_state(batch)
        return out + [self.conv_out.initial_state(batch)]

    def step(self, bands: torch.Tensor, states: List[torch.Tensor]
             ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Streaming: returns the posterior mean (what encode exports) and the new state."""
        h, s = self.conv_in.step(bands, states[0])
        new = [s]
        i = 1
        for stage in self.stages:
            h, ss = stage.step(h, states[i:i + 2])
            new += ss
            i += 2
        h, s = self.conv_out.step(F.leaky_relu(h, self.slope), states[i])
        return h[:, : self.latent_size], new + [s]
