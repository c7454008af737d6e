"""Harmonic oscillator bank (docs/ddsp-maths.md sections 1-3).

Controls (``get_controls``)::

    a   = exp_sigmoid(a_raw)                               [B, F, 1]
    d_k = exp_sigmoid(d_raw_k);  d_k = 0 where k*f0 >= SR/2 (k = 1..K)
    d_k = d_k / (sum_k d_k + 1e-7)
    A_k = a * d_k                                          [B, F, K]

Signal (``get_signal``): f0 and A_k are upsampled by the causal ramp of section 2 (f0's
frame -1 is f0[0], the amplitudes' is 0), then::

    p(n) = frac(p(-1) + sum_{m <= n} f0(m) / SR)      phase in cycles, float64
    y(n) = sum_k A_k(n) * sin(2*pi*k*p(n))            in the working dtype

The phase is a float64 cumulative sum followed by ``frac``; ``accumulate_phase`` sums in
blocks and wraps the block totals before summing them, which is the same number up to
rounding but keeps the rounding error at ~1e-12 cycles even after hours (a flat cumsum of
28.8 M samples would let the error grow with the unwrapped total).

Memory: only one [B, T, K] tensor (the sines) is built. The per-sample amplitudes are never
materialised: with ``A_k(n) = prev_k + (cur_k - prev_k) * r_j`` the harmonic sum is
``S @ prev + r_j * (S @ delta)``, one batched matrix product per frame.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from rt_synth.dsp.scaling import exp_sigmoid
from rt_synth.dsp.upsample import causal_frame_upsample, frame_ramp

_PHASE_BLOCK = 4096


def wrapped_cumsum(x: torch.Tensor, block: int = _PHASE_BLOCK) -> torch.Tensor:
    """``frac(cumsum(x, -1))`` for x [B, T] (float64 recommended), computed hierarchically:
    cumsum inside blocks of ``block`` samples, block totals wrapped to [0, 1) and prefix-summed
    the same way (recursively), so no partial sum ever grows beyond ~block."""
    b, t = x.shape
    if t <= block:
        c = torch.cumsum(x, dim=-1)
        return c - torch.floor(c)
    n_blocks = -(-t // block)
    xp = torch.nn.functional.pad(x, (0, n_blocks * block - t)).reshape(b, n_blocks, block)
    local = torch.cumsum(xp, dim=-1)  # [B, nb, block]
    totals = local[..., -1]
    totals = totals - torch.floor(totals)
    starts = wrapped_cumsum(totals, block)  # inclusive prefix (mod 1) of the block totals
    starts = torch.cat([starts.new_zeros(b, 1), starts[:, :-1]], dim=1)  # exclusive
    p = local + starts.unsqueeze(-1)
    p = p - torch.floor(p)
    return p.reshape(b, n_blocks * block)[:, :t]


def accumulate_phase(f0_samples: torch.Tensor, sample_rate: float,
                     initial_phase: torch.Tensor | None = None) -> torch.Tensor:
    """Per-sample phase in cycles: ``p(n) = frac(p(-1) + sum_{m<=n} f0(m)/SR)``.

    f0_samples: [B, T] per-sample f0 in Hz; initial_phase: [B] p(-1) (0 when None).
    Returns float64 [B, T] in [0, 1)."""
    inc = f0_samples.to(torch.float64) / float(sample_rate)
    if initial_phase is not None:
        p0 = initial_phase.to(dtype=torch.float64, device=inc.device).reshape(-1, 1)
        inc = torch.cat([inc[:, :1] + p0, inc[:, 1:]], dim=1)
    return wrapped_cumsum(inc)


class HarmonicOscillator(nn.Module):
    """Additive bank of K harmonics of f0 with causal per-frame control interpolation."""

    def __init__(self, sample_rate: int = 48000, hop: int = 192, n_harmonics: int = 64):
        super().__init__()
        self.sample_rate = int(sample_rate)
        self.hop = int(hop)
        self.n_harmonics = int(n_harmonics)

    def extra_repr(self) -> str:
        return f"sample_rate={self.sample_rate}, hop={self.hop}, n_harmonics={self.n_harmonics}"

    def get_controls(self, amplitude_raw: torch.Tensor, distribution_raw: torch.Tensor,
                     f0_hz: torch.Tensor) -> torch.Tensor:
        """amplitude_raw [B, F, 1], distribution_raw [B, F, K], f0_hz [B, F, 1] (or [B, F])
        → harmonic amplitudes A [B, F, K]."""
        if f0_hz.dim() == 2:
            f0_hz = f0_hz.unsqueeze(-1)
        k = distribution_raw.shape[-1]
        amplitude = exp_sigmoid(amplitude_raw)
        dist = exp_sigmoid(distribution_raw)
        numbers = torch.arange(1, k + 1, dtype=f0_hz.dtype, device=f0_hz.device)
        below_nyquist = (numbers * f0_hz) < (self.sample_rate / 2)
        dist = dist * below_nyquist.to(dist.dtype)
        dist = dist / (dist.sum(dim=-1, keepdim=True) + 1e-7)
        return amplitude * dist

    def get_signal(self, harmonic_amplitudes: torch.Tensor, f0_hz: torch.Tensor,
                   initial_phase: torch.Tensor | None = None, return_final_phase: bool = False):
        """harmonic_amplitudes [B, F, K], f0_hz [B, F, 1] (or [B, F]) → audio [B, F*hop]
        in the amplitudes' dtype. initial_phase: [B] phase in cycles before the first sample.
        With return_final_phase, also returns the float64 phase of the last sample [B]."""
        amps = harmonic_amplitudes
        if f0_hz.dim() == 2:
            f0_hz = f0_hz.unsqueeze(-1)
        b, f, k = amps.shape
        hop, dtype, device = self.hop, amps.dtype, amps.device
        f0_64 = f0_hz.to(torch.float64)
        f0_s = causal_frame_upsample(f0_64, hop, initial=f0_64[:, 0])[..., 0]  # [B, T]
        phase = accumulate_phase(f0_s, self.sample_rate, initial_phase)  # float64 [B, T]
        omega = (2.0 * math.pi) * torch.arange(1, k + 1, dtype=torch.float64, device=device)
        sines = phase.to(dtype).reshape(b, f, hop, 1) * omega.to(dtype)  # [B, F, H, K]
        if sines.requires_grad:
            sines = torch.sin(sines)
        else:
            sines.sin_()  # in place: the only [B, T, K] tensor
        prev = torch.cat([amps.new_zeros(b, 1, k), amps[:, :-1]], dim=1)
        coeffs = torch.stack([prev, amps - prev], dim=-1)  # [B, F, K, 2]
        parts = torch.matmul(sines, coeffs)  # [B, F, H, 2]
        ramp = frame_ramp(hop, dtype, device).view(1, 1, hop)
        audio = (parts[..., 0] + ramp * parts[..., 1]).reshape(b, f * hop)
        if return_final_phase:
            return audio, phase[:, -1]
        return audio
