"""Per-band DC blocker on the decoder's waveform bands (config.decoder_dc_block_hz).

A constant in PQMF band k is, after the synthesis filter bank, a steady tone at the band's
edge, k * sr / (2M) (multiples of 1.5 kHz at M = 16): a whine no instrument makes. The
decoder learnt such offsets and no loss removed them (docs/rave.md section 14), so the
network's waveform bands pass a one-pole high-pass before the noise is added:

    m[n] = a * m[n-1] + (1 - a) * x[n]      (a leaky mean, one state per band)
    y[n] = x[n] - m[n]                       a = exp(-2 pi fc / (sr / M))

m starts at 0 (as after a reset). The C++ core (rave_decoder.cpp) runs the recursion sample
by sample; here it is computed in closed form over chunks of L frames (a lower-triangular
L x L matrix of powers of a inside a chunk, a second one over the chunks' carries), which is
exact, parallel enough to train on and has only non-negative powers of a (no overflow)."""
from __future__ import annotations

import math
from typing import Tuple

import torch
from torch.nn import functional as F


def dc_block_coefficient(cutoff_hz: float, sample_rate: int, n_bands: int) -> float:
    """a of the leaky mean for a cutoff of cutoff_hz at the band rate sr / M."""
    return math.exp(-2.0 * math.pi * cutoff_hz * n_bands / sample_rate)


def _decay_matrix(n: int, a: float, like: torch.Tensor) -> torch.Tensor:
    """[n, n] with a^(i-j) for i >= j and 0 above the diagonal."""
    i = torch.arange(n, device=like.device)
    d = (i.unsqueeze(1) - i.unsqueeze(0)).to(like.dtype)
    return torch.where(d >= 0, torch.pow(torch.full_like(d, a), d.clamp(min=0.0)),
                       torch.zeros_like(d))


def leaky_mean(x: torch.Tensor, m0: torch.Tensor, a: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """x [B, M, T], m0 [B, M, 1] → the leaky mean m [B, M, T] and its last value [B, M, 1]."""
    t = x.shape[-1]
    if t == 0:
        return x, m0
    chunk = max(64, int(math.ceil(math.sqrt(float(t)))))
    chunk = min(chunk, t)
    n_chunks = (t + chunk - 1) // chunk
    xp = F.pad(x, (0, n_chunks * chunk - t))
    xs = xp.reshape(x.shape[0], x.shape[1], n_chunks, chunk)
    k = _decay_matrix(chunk, a, x) * (1.0 - a)
    z = torch.matmul(xs, k.t())  # zero-state response inside each chunk
    # carries: s_c = a^L s_(c-1) + z_c[L-1], s_(-1) = m0
    big = a ** chunk
    p = _decay_matrix(n_chunks, big, x)
    starts = torch.pow(torch.full((n_chunks,), big, dtype=x.dtype, device=x.device),
                       torch.arange(1, n_chunks + 1, device=x.device).to(x.dtype))
    s = torch.matmul(z[..., -1], p.t()) + m0 * starts  # [B, M, C]
    before = torch.cat([m0, s[..., :-1]], dim=-1)  # the state entering each chunk
    rise = torch.pow(torch.full((chunk,), a, dtype=x.dtype, device=x.device),
                     torch.arange(1, chunk + 1, device=x.device).to(x.dtype))
    m = (z + before.unsqueeze(-1) * rise).reshape(x.shape[0], x.shape[1], -1)[..., :t]
    return m, m[..., t - 1:t]


def dc_block(x: torch.Tensor, m0: torch.Tensor, a: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """x minus its leaky mean, and the new state (module docs)."""
    m, last = leaky_mean(x, m0, a)
    return x - m, last
