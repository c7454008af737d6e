"""Causal frame → sample interpolation (docs/ddsp-maths.md section 2).

A per-frame control ``c[i]`` becomes per-sample values by a linear ramp from the previous
frame's value to this frame's::

    c(n) = c[i-1] + (c[i] - c[i-1]) * (j+1)/H,    n = i*H + j,  0 <= j < H

so frame ``i``'s value is reached on the last sample of the frame and nothing looks ahead.
``c[-1]`` is ``initial`` (zeros when not given; callers pass ``f0[0]`` for f0).
"""
from __future__ import annotations

import torch


def frame_ramp(hop: int, dtype=torch.float32, device=None) -> torch.Tensor:
    """The ramp ``(j+1)/H`` for j = 0..H-1, shape [H]."""
    return torch.arange(1, hop + 1, dtype=dtype, device=device) / hop


def causal_frame_upsample(frames: torch.Tensor, hop: int,
                          initial: torch.Tensor | None = None) -> torch.Tensor:
    """frames [B, F, C] → [B, F*hop, C] by the causal ramp above (vectorised).

    initial: [B, C] value of frame -1 (zeros when None)."""
    if frames.dim() != 3:
        raise ValueError(f"frames must be [B, F, C], got {tuple(frames.shape)}")
    b, f, c = frames.shape
    if initial is None:
        initial = frames.new_zeros(b, c)
    initial = initial.to(dtype=frames.dtype, device=frames.device).reshape(b, 1, c)
    prev = torch.cat([initial, frames[:, :-1]], dim=1)  # [B, F, C]
    ramp = frame_ramp(hop, frames.dtype, frames.device).view(1, 1, hop, 1)
    out = prev.unsqueeze(2) + (frames - prev).unsqueeze(2) * ramp  # [B, F, H, C]
    return out.reshape(b, f * hop, c)
