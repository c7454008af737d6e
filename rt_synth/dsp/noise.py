"""Filtered noise (docs/ddsp-maths.md sections 1 and 4).

Controls: ``m_b = exp_sigmoid(n_raw_b - 5)`` for B bands equally spaced from 0 to SR/2.

Signal, per frame i (L = 2*(B-1) taps)::

    h0  = irfft(m[i], n=L)                 real, zero-phase
    h   = roll(h0, L/2) * w                w[t] = 0.5 - 0.5*cos(2*pi*t/(L-1))  (symmetric Hann)
    y_i = full_conv(u[i*H:(i+1)*H], h)     H + L - 1 samples, h[0] first, placed at i*H
    y   = overlap-add of all y_i           the tail past the last frame is dropped

The per-frame convolution is done with an FFT of size next_pow2(H + L - 1) and the
overlap-add with ``torch.nn.functional.fold`` (no Python loop over frames). Any L works,
including L - 1 > H (tails reaching over several frames).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from rt_synth.dsp.scaling import exp_sigmoid


def symmetric_hann(length: int, dtype=torch.float64, device=None) -> torch.Tensor:
    t = torch.arange(length, dtype=torch.float64, device=device)
    if length == 1:
        return torch.ones(1, dtype=dtype, device=device)
    return (0.5 - 0.5 * torch.cos(2.0 * math.pi * t / (length - 1))).to(dtype)


def noise_impulse_responses(magnitudes: torch.Tensor) -> torch.Tensor:
    """magnitudes [..., B] → linear-phase windowed FIRs [..., L], L = 2*(B-1)."""
    n_bands = magnitudes.shape[-1]
    length = 2 * (n_bands - 1)
    h0 = torch.fft.irfft(magnitudes, n=length, dim=-1)
    h = torch.roll(h0, shifts=length // 2, dims=-1)
    return h * symmetric_hann(length, magnitudes.dtype, magnitudes.device)


class FilteredNoise(nn.Module):
    """White noise shaped per frame by a linear-phase FIR built from band magnitudes."""

    def __init__(self, sample_rate: int = 48000, hop: int = 192, n_bands: int = 65):
        super().__init__()
        if n_bands < 2:
            raise ValueError("n_bands must be >= 2")
        self.sample_rate = int(sample_rate)
        self.hop = int(hop)
        self.n_bands = int(n_bands)
        self.ir_length = 2 * (self.n_bands - 1)

    def extra_repr(self) -> str:
        return f"sample_rate={self.sample_rate}, hop={self.hop}, n_bands={self.n_bands}"

    def get_controls(self, noise_raw: torch.Tensor) -> torch.Tensor:
        """noise_raw [B, F, n_bands] → band magnitudes [B, F, n_bands]."""
        return exp_sigmoid(noise_raw - 5.0)

    def get_signal(self, magnitudes: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """magnitudes [B, F, n_bands] → audio [B, F*hop] (magnitudes' dtype).

        noise: white noise [B, F*hop] (e.g. ``counter_noise`` for parity); when None,
        ``torch.rand * 2 - 1``."""
        b, f, n_bands = magnitudes.shape
        if n_bands != self.n_bands:
            raise ValueError(f"expected {self.n_bands} bands, got {n_bands}")
        hop, length = self.hop, self.ir_length
        dtype, device = magnitudes.dtype, magnitudes.device
        if noise is None:
            noise = torch.rand(b, f * hop, dtype=dtype, device=device) * 2.0 - 1.0
        if noise.shape[-1] != f * hop:
            raise ValueError(f"noise must have F*hop = {f * hop} samples, got {noise.shape[-1]}")
        noise = noise.to(dtype=dtype, device=device).reshape(b, f, hop)
        ir = noise_impulse_responses(magnitudes)  # [B, F, L]
        out_len = hop + length - 1
        n_fft = 1 << (out_len - 1).bit_length()
        spec = torch.fft.rfft(noise, n=n_fft, dim=-1) * torch.fft.rfft(ir, n=n_fft, dim=-1)
        frames = torch.fft.irfft(spec, n=n_fft, dim=-1)[..., :out_len]  # [B, F, H+L-1]
        total = (f - 1) * hop + out_len
        audio = torch.nn.functional.fold(
            frames.transpose(1, 2),  # [B, H+L-1, F]: one "column" per frame
            output_size=(1, total), kernel_size=(1, out_len), stride=(1, hop))
        return audio.reshape(b, total)[:, :f * hop]
