"""Harmonic head of the RAVE-style decoder (config.harmonics > 0; docs/rave.md "Harmonic head").

A small causal network on the latent z gives, per latent frame, the amplitudes of H harmonics
of the tracked f0, DDSP-style (Engel et al. 2020):

    r = out(lrelu(conv(z)))                      conv: causal, kernel k, D -> C; out: 1x1, C -> 1+H
                                                 (config.harmonic_f0: conv reads [z; q; p], D+2
                                                 channels, q = log2(f0/f0_min)/log2(f0_max/f0_min)
                                                 and p the periodicity, both clamped to 0..1)
    A = 2 * sigmoid(r[0]) ** ln(10) + 1e-7        overall amplitude (exp-sigmoid)
    alpha_k = A * softmax(r[1:])_k                k = 1..H

pitch_source.excitation_step turns alpha into audio with the pitch source's phase, ramp and
gate (sum_k alpha_k sin(k phi), the harmonics below its limit only); the model adds the PQMF
bands of that audio to the decoder's output bands. The waveform decoder then has only the
aperiodic rest to make (bow noise, transients, unpitched input), instead of shaping the whole
periodic sound from a flat excitation.
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from rt_synth.models.rave.config import RaveConfig
from rt_synth.models.rave.streaming_layers import CachedConv1d

AMPLITUDE_EXPONENT = math.log(10.0)
AMPLITUDE_MAX = 2.0
AMPLITUDE_FLOOR = 1e-7


class HarmonicHead(nn.Module):
    def __init__(self, c: RaveConfig):
        super().__init__()
        self.harmonics = c.harmonics
        self.slope = c.leaky_slope
        self.with_f0 = bool(c.harmonic_f0)
        self.f0_min = float(c.pitch_f0_min)
        self.octaves = float(math.log2(c.pitch_f0_max / c.pitch_f0_min))
        self.conv = CachedConv1d(c.latent_size + (2 if c.harmonic_f0 else 0), c.harmonic_channels,
                                 c.kernel)
        self.out = CachedConv1d(c.harmonic_channels, 1 + c.harmonics, 1)
        # attributes, not globals: TorchScript cannot read module globals
        self.amplitude_max = AMPLITUDE_MAX
        self.amplitude_exponent = AMPLITUDE_EXPONENT
        self.amplitude_floor = AMPLITUDE_FLOOR

    def amplitudes(self, r: torch.Tensor) -> torch.Tensor:
        """Raw head output [B, 1+H, F] -> per-harmonic amplitudes alpha [B, H, F]."""
        a = (self.amplitude_max * torch.sigmoid(r[:, :1]).pow(self.amplitude_exponent)
             + self.amplitude_floor)
        return a * torch.softmax(r[:, 1:], dim=1)

    def inputs(self, z: torch.Tensor, f0: Optional[torch.Tensor],
               periodicity: Optional[torch.Tensor]) -> torch.Tensor:
        """z [B, D, F] (+ f0, periodicity [B, F] with harmonic_f0) -> the conv's input."""
        if not self.with_f0:
            return z
        if f0 is None or periodicity is None:
            raise ValueError("this harmonic head reads the f0: pass f0 and periodicity")
        q = (torch.log2(f0.to(z.dtype).clamp(min=self.f0_min) / self.f0_min) / self.octaves
             ).clamp(0.0, 1.0)
        p = periodicity.to(z.dtype).clamp(0.0, 1.0)
        return torch.cat([z, q.unsqueeze(1), p.unsqueeze(1)], dim=1)

    def forward(self, z: torch.Tensor, f0: Optional[torch.Tensor] = None,
                periodicity: Optional[torch.Tensor] = None) -> torch.Tensor:
        """z [B, D, F] (+ f0, periodicity [B, F] with harmonic_f0) -> alpha [B, H, F]."""
        x = self.inputs(z, f0, periodicity)
        return self.amplitudes(self.out(F.leaky_relu(self.conv(x), self.slope)))

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        return [self.conv.initial_state(batch)]

    def step(self, z: torch.Tensor, states: List[torch.Tensor],
             f0: Optional[torch.Tensor] = None, periodicity: Optional[torch.Tensor] = None
             ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        h, s = self.conv.step(self.inputs(z, f0, periodicity), states[0])
        if h.shape[-1] == 0:  # a block without a latent frame
            return h.new_zeros(h.shape[0], self.harmonics, 0), [s]
        return self.amplitudes(self.out(F.leaky_relu(h, self.slope))), [s]
