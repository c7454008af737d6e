"""Harmonic head of the RAVE-style decoder (config.harmonics > 0; docs/rave.md "Harmonic head").

A small causal network on the latent z gives, per latent frame, the amplitudes of H harmonics
of the tracked f0, DDSP-style (Engel et al. 2020):

    r = out(lrelu(hidden_j(... lrelu(conv(x)))))  conv: causal, kernel k, I -> C; hidden_j: 1x1,
                                                 C -> C (config.harmonic_layers - 1 of them);
                                                 out: 1x1, C -> 1+H
    x = [z; q; p; l]                             z the latent (config.harmonic_latent),
                                                 q = log2(f0/f0_min)/log2(f0_max/f0_min) and p the
                                                 periodicity, both clamped to 0..1
                                                 (config.harmonic_f0), l the input's loudness
                                                 (config.harmonic_loudness;
                                                 pitch_source.loudness_frames)
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

from rt_synth.kinds.rave.model.config import RaveConfig
from rt_synth.kinds.rave.model.streaming_layers import CachedConv1d

AMPLITUDE_EXPONENT = math.log(10.0)
AMPLITUDE_MAX = 2.0
AMPLITUDE_FLOOR = 1e-7


class HarmonicHead(nn.Module):
    def __init__(self, c: RaveConfig):
        super().__init__()
        self.harmonics = c.harmonics
        self.slope = c.leaky_slope
        self.with_f0 = bool(c.harmonic_f0)
        self.with_latent = bool(c.harmonic_latent)
        self.with_loudness = bool(c.harmonic_loudness)
        self.f0_min = float(c.pitch_f0_min)
        self.octaves = float(math.log2(c.pitch_f0_max / c.pitch_f0_min))
        n_in = ((c.latent_size if c.harmonic_latent else 0) + (2 if c.harmonic_f0 else 0)
                + (1 if c.harmonic_loudness else 0))
        self.conv = CachedConv1d(n_in, c.harmonic_channels, c.kernel)
        self.hidden = nn.ModuleList([CachedConv1d(c.harmonic_channels, c.harmonic_channels, 1)
                                     for _ in range(c.harmonic_layers - 1)])
        self.noise_bands = c.n_bands if c.harmonic_noise else 0
        self.out = CachedConv1d(c.harmonic_channels, 1 + c.harmonics + self.noise_bands, 1)
        if self.noise_bands and c.harmonic_noise_bias != 0.0:
            with torch.no_grad():  # initial noise level (config.harmonic_noise_bias)
                self.out.conv.bias[1 + c.harmonics:].fill_(c.harmonic_noise_bias)
        # attributes, not globals: TorchScript cannot read module globals
        self.amplitude_max = AMPLITUDE_MAX
        self.amplitude_exponent = AMPLITUDE_EXPONENT
        self.amplitude_floor = AMPLITUDE_FLOOR

    def amplitudes(self, r: torch.Tensor) -> torch.Tensor:
        """Raw head output [B, 1+H, F] -> per-harmonic amplitudes alpha [B, H, F]."""
        a = (self.amplitude_max * torch.sigmoid(r[:, :1]).pow(self.amplitude_exponent)
             + self.amplitude_floor)
        return a * torch.softmax(r[:, 1:1 + self.harmonics], dim=1)

    def noise_gains(self, r: torch.Tensor) -> torch.Tensor:
        """Raw head output [B, 1+H+M, F] -> noise level per PQMF band [B, M, F] (exp-sigmoid,
        as the amplitude; config.harmonic_noise)."""
        return (self.amplitude_max * torch.sigmoid(r[:, 1 + self.harmonics:]
                                                   ).pow(self.amplitude_exponent)
                + self.amplitude_floor)

    def split(self, h: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The conv's output [B, C, F] -> (alpha [B, H, F], noise gains [B, M, F] or None)."""
        h = F.leaky_relu(h, self.slope)
        for layer in self.hidden:
            h = F.leaky_relu(layer(h), self.slope)
        r = self.out(h)
        return self.amplitudes(r), (self.noise_gains(r) if self.noise_bands else None)

    def inputs(self, z: torch.Tensor, f0: Optional[torch.Tensor],
               periodicity: Optional[torch.Tensor], loudness: Optional[torch.Tensor] = None
               ) -> torch.Tensor:
        """z [B, D, F] (+ f0, periodicity, loudness [B, F] as the config asks) -> the conv's
        input."""
        parts: List[torch.Tensor] = []
        if self.with_latent:
            parts.append(z)
        if self.with_f0:
            if f0 is None or periodicity is None:
                raise ValueError("this harmonic head reads the f0: pass f0 and periodicity")
            q = (torch.log2(f0.to(z.dtype).clamp(min=self.f0_min) / self.f0_min) / self.octaves
                 ).clamp(0.0, 1.0)
            parts.append(q.unsqueeze(1))
            parts.append(periodicity.to(z.dtype).clamp(0.0, 1.0).unsqueeze(1))
        if self.with_loudness:
            if loudness is None:
                raise ValueError("this harmonic head reads the loudness: pass loudness")
            parts.append(loudness.to(z.dtype).unsqueeze(1))
        return torch.cat(parts, dim=1)

    def with_noise(self, z: torch.Tensor, f0: Optional[torch.Tensor] = None,
                   periodicity: Optional[torch.Tensor] = None,
                   loudness: Optional[torch.Tensor] = None
                   ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """forward, and the noise gains [B, M, F] (None without config.harmonic_noise)."""
        return self.split(self.conv(self.inputs(z, f0, periodicity, loudness)))

    def forward(self, z: torch.Tensor, f0: Optional[torch.Tensor] = None,
                periodicity: Optional[torch.Tensor] = None,
                loudness: Optional[torch.Tensor] = None) -> torch.Tensor:
        """z [B, D, F] (+ f0, periodicity, loudness [B, F] as the config asks)
        -> alpha [B, H, F]."""
        return self.with_noise(z, f0, periodicity, loudness)[0]

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        return [self.conv.initial_state(batch)]

    def step(self, z: torch.Tensor, states: List[torch.Tensor],
             f0: Optional[torch.Tensor] = None, periodicity: Optional[torch.Tensor] = None,
             loudness: Optional[torch.Tensor] = None
             ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        amps, _, s = self.step_with_noise(z, states, f0, periodicity, loudness)
        return amps, s

    def step_with_noise(self, z: torch.Tensor, states: List[torch.Tensor],
                        f0: Optional[torch.Tensor] = None,
                        periodicity: Optional[torch.Tensor] = None,
                        loudness: Optional[torch.Tensor] = None
                        ) -> Tuple[torch.Tensor, torch.Tensor, List[torch.Tensor]]:
        """One block of m latent frames -> alpha [B, H, m], noise gains [B, M, m] ([B, 0, m]
        without config.harmonic_noise), the conv's state. The 1x1 hidden layers keep none."""
        h, s = self.conv.step(self.inputs(z, f0, periodicity, loudness), states[0])
        if h.shape[-1] == 0:  # a block without a latent frame
            return (h.new_zeros(h.shape[0], self.harmonics, 0),
                    h.new_zeros(h.shape[0], self.noise_bands, 0), [s])
        amps, gains = self.split(h)
        if gains is None:
            return amps, h.new_zeros(h.shape[0], 0, h.shape[-1]), [s]
        return amps, gains, [s]
