"""Phase-2 discriminators (training only, never exported):

- multi-scale: the waveform at 1, 1/2, 1/4 ... of the rate (average pooling), each judged
  by a stack of strided grouped 1-D convolutions;
- multi-period: the waveform folded into [T/p, p] for prime periods p, judged by 2-D
  convolutions along the folded time axis (catches periodic structure).

Each returns, per sub-discriminator, the list of feature maps (the last one is the score).
Losses: hinge for the discriminator, -score for the generator, plus feature matching."""
from __future__ import annotations

from typing import List, Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import weight_norm


class ScaleDiscriminator(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        widths = [ch, 4 * ch, 8 * ch, 8 * ch]
        layers = [weight_norm(nn.Conv1d(1, widths[0], 15, padding=7))]
        for a, b in zip(widths[:-1], widths[1:]):
            layers.append(weight_norm(nn.Conv1d(a, b, 41, stride=4, padding=20, groups=4)))
        layers.append(weight_norm(nn.Conv1d(widths[-1], widths[-1], 5, padding=2)))
        self.layers = nn.ModuleList(layers)
        self.score = weight_norm(nn.Conv1d(widths[-1], 1, 3, padding=1))

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        feats = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2)
            feats.append(x)
        feats.append(self.score(x))
        return feats


class PeriodDiscriminator(nn.Module):
    def __init__(self, period: int, ch: int):
        super().__init__()
        self.period = period
        widths = [1, ch, 4 * ch, 8 * ch, 8 * ch]
        self.layers = nn.ModuleList(
            [weight_norm(nn.Conv2d(a, b, (5, 1), stride=(3, 1), padding=(2, 0)))
             for a, b in zip(widths[:-1], widths[1:])])
        self.score = weight_norm(nn.Conv2d(widths[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        b, c, t = x.shape
        pad = (-t) % self.period
        x = F.pad(x, (0, pad), mode="reflect" if pad < t else "constant")
        x = x.view(b, c, -1, self.period)
        feats = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2)
            feats.append(x)
        feats.append(self.score(x))
        return feats


class Discriminators(nn.Module):
    def __init__(self, channels: int = 16, periods: Sequence[int] = (2, 3, 5, 7, 11),
                 scales: int = 3):
        super().__init__()
        self.scales = nn.ModuleList([ScaleDiscriminator(channels) for _ in range(scales)])
        self.periods = nn.ModuleList([PeriodDiscriminator(p, channels) for p in periods])

    def forward(self, x: torch.Tensor) -> List[List[torch.Tensor]]:
        out = []
        for i, d in enumerate(self.scales):
            out.append(d(F.avg_pool1d(x, 2 ** i) if i else x))
        for d in self.periods:
            out.append(d(x))
        return out


def discriminator_hinge(real: List[List[torch.Tensor]], fake: List[List[torch.Tensor]]):
    loss = real[0][-1].new_zeros(())
    for r, f in zip(real, fake):
        loss = loss + F.relu(1 - r[-1]).mean() + F.relu(1 + f[-1]).mean()
    return loss / len(real)


def generator_adversarial(fake: List[List[torch.Tensor]]) -> torch.Tensor:
    return sum(-f[-1].mean() for f in fake) / len(fake)


def feature_matching(real: List[List[torch.Tensor]], fake: List[List[torch.Tensor]]):
    """Mean over sub-discriminators of the mean relative L1 distance of their hidden maps."""
    loss = fake[0][0].new_zeros(())
    for r, f in zip(real, fake):
        per = [(a.detach() - b).abs().mean() / (a.detach().abs().mean() + 1e-5)
               for a, b in zip(r[:-1], f[:-1])]
        loss = loss + sum(per) / len(per)
    return loss / len(real)
