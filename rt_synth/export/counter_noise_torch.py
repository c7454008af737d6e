"""The core's counter-based white noise (docs/ddsp-maths.md §4) in TorchScript-friendly int64
tensor ops, so that the TorchScript export plays the same noise as the C++ core."""
from __future__ import annotations

import torch


def _u64(c: int) -> int:  # uint64 constant as the int64 with the same bits
    return c - (1 << 64) if c >= (1 << 63) else c


# TorchScript cannot close over module globals: the literals below are these constants.
GOLDEN = _u64(0x9E3779B97F4A7C15)
MIX1 = _u64(0xBF58476D1CE4E5B9)
MIX2 = _u64(0x94D049BB133111EB)


def _lshr(z: torch.Tensor, s: int) -> torch.Tensor:
    """Logical right shift of int64 (torch's >> is arithmetic)."""
    mask = (1 << (64 - s)) - 1
    return torch.bitwise_and(torch.bitwise_right_shift(z, s), mask)


def counter_noise(seed: int, start: torch.Tensor, n: int) -> torch.Tensor:
    """start: [B] int64 sample counters → noise [B, n] float32 in [-1, 1)."""
    idx = start.unsqueeze(-1) + torch.arange(n, dtype=torch.int64, device=start.device) + 1
    z = idx * -7046029254386353131 + seed  # GOLDEN
    z = torch.bitwise_xor(z, _lshr(z, 30)) * -4658895280553007687  # MIX1
    z = torch.bitwise_xor(z, _lshr(z, 27)) * -7723592293110705685  # MIX2
    z = torch.bitwise_xor(z, _lshr(z, 31))
    top = _lshr(z, 40)
    return top.to(torch.float32) * (2.0 ** -23) - 1.0
