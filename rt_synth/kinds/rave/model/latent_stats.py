"""Latent statistics computed at the end of phase 1 (encoder frozen from then on):

    mean mu [D] of the posterior means over the training set,
    principal directions P [D, D] (rows, by decreasing variance), std [D] along each.

Exported controls are u = P (z - mu): u_0 is the direction that varies most over the
training data, so the first controls are the most meaningful; decode maps back with
z = P^T u + mu. A MIDI CC in the engine offsets u_i in units of std_i and scales it."""
from __future__ import annotations

import torch

from rt_synth.errors import UserError


def min_frames(latent_size: int) -> int:
    """Fewest latent frames for a usable covariance estimate of D dimensions."""
    return 4 * latent_size


def principal_directions(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """z [N, D] latent frames -> (mean [D], P [D, D] rows = directions, std [D])."""
    n, d = z.shape
    if n < min_frames(d):
        raise UserError(f"only {n} latent frames to compute the latent statistics of "
                        f"{d} dimensions (need at least {min_frames(d)}): the dataset is too "
                        f"small; add audio (or use longer examples) and prepare it again")
    z = z.double()
    mean = z.mean(0)
    cov = (z - mean).T @ (z - mean) / (n - 1)
    evals, evecs = torch.linalg.eigh(cov)  # ascending
    order = torch.argsort(evals, descending=True)
    evals, evecs = evals[order].clamp_min(0), evecs[:, order]
    # sign convention: the largest component of each direction is positive (reproducible)
    idx = evecs.abs().argmax(0)
    signs = torch.sign(evecs[idx, torch.arange(d)])
    evecs = evecs * torch.where(signs == 0, torch.ones_like(signs), signs)
    return mean.float(), evecs.T.contiguous().float(), evals.sqrt().float()
