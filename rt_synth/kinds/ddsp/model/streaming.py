"""One streaming step of the DDSP model in plain tensor ops, with the whole state explicit.

    audio, state' = step(f0 [B, F], loudness [B, F], noise [B, F*H], state)

The same maths as the offline model (docs/ddsp-maths.md), written so that it scripts
(TorchScript) and exports to ONNX: no FFT (the noise filter is one matrix product with a
precomputed inverse-DFT·roll·window matrix), no Python-side state. Run block after block it
equals the offline model exactly; tests/export hold it to that.

State tensors (zeros = the state after reset):
    gru      [1, B, G]   GRU hidden state
    amps     [B, K]      harmonic amplitudes of the previous frame
    f0       [B]         f0 of the previous frame
    started  [B]         0 before the first frame, then 1 (f0 ramp starts flat: c[-1] = f0[0])
    phase    [B]         oscillator phase in cycles, float64
    tail     [B, L-1]    filtered-noise overlap-add tail
"""
from __future__ import annotations

import math
from typing import List, Tuple

import torch
from torch import nn

from rt_synth.kinds.ddsp.model.decoder import DDSPDecoder


def noise_filter_matrix(n_bands: int, dtype=torch.float64) -> torch.Tensor:
    """[B, L] matrix W with  ir = mags @ W  ==  roll(irfft(mags), L/2) * hann_symmetric."""
    length = 2 * (n_bands - 1)
    eye = torch.eye(n_bands, dtype=torch.float64)
    basis = torch.fft.irfft(eye, n=length, dim=-1)  # row b: irfft of a unit bin b
    basis = torch.roll(basis, length // 2, dims=-1)
    t = torch.arange(length, dtype=torch.float64)
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * t / (length - 1))
    return (basis * window).to(dtype)


def exp_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return 2.0 * torch.sigmoid(x) ** math.log(10.0) + 1e-7


class DDSPStreamingStep(nn.Module):
    def __init__(self, decoder: DDSPDecoder, sample_rate: int, hop: int, n_harmonics: int,
                 n_noise_bands: int):
        super().__init__()
        self.decoder = decoder
        self.sample_rate = sample_rate
        self.hop = hop
        self.n_harmonics = n_harmonics
        self.n_bands = n_noise_bands
        self.ir_len = 2 * (n_noise_bands - 1)
        if self.ir_len - 1 > hop:
            raise ValueError("noise filter longer than one hop + 1 is not supported")
        self.register_buffer("filter_matrix", noise_filter_matrix(n_noise_bands, torch.float32))
        self.register_buffer("harmonic_numbers",
                             torch.arange(1, n_harmonics + 1, dtype=torch.float64))
        self.register_buffer("ramp", torch.arange(1, hop + 1, dtype=torch.float64) / hop)
        # conv index: y[n] = sum_t h[t] * u[n - t], u zero-padded by L-1 on both sides
        n = torch.arange(hop + self.ir_len - 1)[:, None]
        t = torch.arange(self.ir_len)[None, :]
        self.register_buffer("conv_index", n - t + (self.ir_len - 1))

    def initial_state(self, batch: int) -> List[torch.Tensor]:
        g = self.decoder.gru_size
        return [torch.zeros(1, batch, g), torch.zeros(batch, self.n_harmonics),
                torch.zeros(batch), torch.zeros(batch),
                torch.zeros(batch, dtype=torch.float64), torch.zeros(batch, self.ir_len - 1)]

    def _upsample(self, frames: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
        """frames [B, F, C], first [B, C] (= c[-1]) → [B, F*H, C] causal ramp, float64."""
        frames = frames.to(torch.float64)
        prev = torch.cat([first.to(torch.float64).unsqueeze(1), frames[:, :-1]], dim=1)
        r = self.ramp.view(1, 1, -1, 1)
        out = prev.unsqueeze(2) + (frames - prev).unsqueeze(2) * r  # [B, F, H, C]
        return out.reshape(frames.shape[0], -1, frames.shape[2])

    def forward(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor, noise: torch.Tensor,
                gru_state: torch.Tensor, prev_amps: torch.Tensor, prev_f0: torch.Tensor,
                started: torch.Tensor, phase: torch.Tensor, tail: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                           torch.Tensor, torch.Tensor, torch.Tensor]:
        k = self.n_harmonics
        batch, frames = f0_hz.shape[0], f0_hz.shape[1]
        raw, gru_state = self.decoder(f0_hz, loudness_db, gru_state)
        # --- controls (docs/ddsp-maths.md §1) ---
        amp = exp_sigmoid(raw[..., :1])
        dist = exp_sigmoid(raw[..., 1:1 + k])
        nyquist_ok = (self.harmonic_numbers.to(f0_hz.dtype) * f0_hz.unsqueeze(-1)) < (self.sample_rate / 2)
        dist = dist * nyquist_ok.to(dist.dtype)
        dist = dist / (dist.sum(-1, keepdim=True) + 1e-7)
        amps = amp * dist  # [B, F, K]
        mags = exp_sigmoid(raw[..., 1 + k:] - 5.0)  # [B, F, bands]
        # --- harmonic bank (§2, §3) ---
        first_f0 = torch.where(started > 0.5, prev_f0, f0_hz[:, 0])
        f0_s = self._upsample(f0_hz.unsqueeze(-1), first_f0.unsqueeze(-1))[..., 0]  # [B, T]
        amps_s = self._upsample(amps, prev_amps)  # [B, T, K]
        p = phase.unsqueeze(-1) + torch.cumsum(f0_s / self.sample_rate, dim=-1)
        p = p - torch.floor(p)
        kp = p.unsqueeze(-1) * self.harmonic_numbers  # float64: exact harmonic phases
        kp = kp - torch.floor(kp)
        harmonic = (torch.sin(2 * math.pi * kp) * amps_s).sum(-1)
        # --- filtered noise (§4) ---
        ir = mags @ self.filter_matrix.to(mags.dtype)  # [B, F, L]
        u = noise.reshape(batch, frames, self.hop).to(mags.dtype)
        u = torch.nn.functional.pad(u, (self.ir_len - 1, self.ir_len - 1))
        windows = u[:, :, self.conv_index]  # [B, F, H+L-1, L]
        y = (windows * ir.unsqueeze(2)).sum(-1)  # [B, F, H+L-1]
        head, frame_tails = y[..., :self.hop], y[..., self.hop:]
        carried = torch.cat([tail.unsqueeze(1).to(y.dtype), frame_tails[:, :-1]], dim=1)
        carried = torch.nn.functional.pad(carried, (0, self.hop - (self.ir_len - 1)))
        noise_out = (head + carried).reshape(batch, -1)
        audio = harmonic.to(noise_out.dtype) + noise_out
        new_started = torch.ones_like(started)
        return (audio, gru_state, amps[:, -1], f0_hz[:, -1], new_started,
                p[:, -1], frame_tails[:, -1])
