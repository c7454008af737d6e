"""Training loss of effect models (Wright, Damskägg, Välimäki 2020): the error-to-signal
ratio of pre-emphasised signals plus a DC term.

    ESR = Σ (H(y) − H(ŷ))² / Σ H(y)²,   H(z) = 1 − a·z⁻¹ (a = pre_emphasis; 0: none)
    DC  = (mean(y) − mean(ŷ))² / mean(y²)

The held-out figure (``esr``) is the plain ESR, no pre-emphasis, as the papers report it."""
from __future__ import annotations

import torch


def pre_emphasis(x: torch.Tensor, a: float) -> torch.Tensor:
    if a == 0.0:
        return x
    return x[..., 1:] - a * x[..., :-1]


def esr(target: torch.Tensor, pred: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return torch.sum((target - pred) ** 2) / (torch.sum(target ** 2) + eps)


def effect_loss(target: torch.Tensor, pred: torch.Tensor, a: float, dc_weight: float) -> dict:
    e = esr(pre_emphasis(target, a), pre_emphasis(pred, a))
    dc = (target.mean(-1) - pred.mean(-1)).pow(2).mean() / (target.pow(2).mean() + 1e-10)
    return {"loss": e + dc_weight * dc, "esr_pre": e, "dc": dc}
