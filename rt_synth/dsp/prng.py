"""Counter-based white noise shared bit-for-bit with the C++ core (docs/ddsp-maths.md §4).

splitmix64 of the absolute sample counter ``n`` (uint64, wrapping)::

    z = seed + (n + 1) * 0x9E3779B97F4A7C15
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z =  z ^ (z >> 31)
    u(n) = (z >> 40) * 2**-23 - 1                 (24 random bits, in [-1, 1), exact in float32)

``counter_noise(n, seed, start)`` returns u(start), ..., u(start + n - 1), so a stream cut into
blocks at any points gives the same samples as one call.
"""
from __future__ import annotations

import numpy as np
import torch

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


def counter_noise(n_samples: int, seed: int = 0, start: int = 0) -> np.ndarray:
    """White noise u(start .. start+n_samples-1) in [-1, 1), float32 [n_samples]."""
    n_samples = int(n_samples)
    if n_samples < 0:
        raise ValueError("n_samples must be >= 0")
    seed_u = np.uint64(int(seed) & _MASK64)
    first = np.uint64((int(start) + 1) & _MASK64)
    with np.errstate(over="ignore"):
        counter = np.arange(n_samples, dtype=np.uint64) + first  # n + 1 (wraps like uint64)
        z = seed_u + counter * _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    bits = (z >> np.uint64(40)).astype(np.int64)  # < 2**24: exact in float32
    return (bits.astype(np.float32) * np.float32(2.0 ** -23) - np.float32(1.0)).astype(np.float32)


def counter_noise_torch(n_samples: int, seed: int = 0, start: int = 0, batch: int | None = None,
                        dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    """``counter_noise`` as a tensor [n_samples] (or [batch, n_samples], every row the same
    stream unless the caller varies the seed). Values are exact in float32 and float64."""
    u = torch.from_numpy(counter_noise(n_samples, seed, start)).to(dtype=dtype, device=device)
    if batch is not None:
        u = u.unsqueeze(0).expand(batch, -1).contiguous()
    return u
