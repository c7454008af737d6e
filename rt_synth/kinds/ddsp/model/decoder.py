"""Causal DDSP decoder: (f0, loudness) per frame → raw synthesis controls per frame.

    x_f = MLP_f(f0_norm), x_l = MLP_l(ld_norm)
    h_t = GRU([x_f, x_l], h_{t-1})
    raw = head(MLP_o([h_t, x_f, x_l]))      raw = [amplitude (1), distribution (K), noise (B)]

Nothing looks ahead (a unidirectional GRU and per-frame MLPs), so the network streams one
frame at a time with only the GRU state carried over. Parameter names are the tensor names
of the native model file (docs/model-format.md).
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

from rt_synth.kinds.ddsp.model.config import DDSPConfig


class MLPLayer(nn.Module):
    def __init__(self, in_size: int, out_size: int):
        super().__init__()
        self.linear = nn.Linear(in_size, out_size)
        self.norm = nn.LayerNorm(out_size)
        self.act = nn.LeakyReLU(0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.linear(x)))


def mlp(in_size: int, hidden: int, layers: int) -> nn.Sequential:
    return nn.Sequential(*[MLPLayer(in_size if i == 0 else hidden, hidden) for i in range(layers)])


class DDSPDecoder(nn.Module):
    def __init__(self, config: DDSPConfig):
        super().__init__()
        c = config
        self.n_outputs = 1 + c.n_harmonics + c.n_noise_bands
        self.mlp_f = mlp(1, c.hidden_size, c.mlp_layers)
        self.mlp_l = mlp(1, c.hidden_size, c.mlp_layers)
        self.gru = nn.GRU(2 * c.hidden_size, c.gru_size, batch_first=True)
        self.mlp_o = mlp(c.gru_size + 2 * c.hidden_size, c.hidden_size, c.mlp_layers)
        self.head = nn.Linear(c.hidden_size, self.n_outputs)
        self.f0_min_hz = float(c.f0_min_hz)
        self.f0_max_hz = float(c.f0_max_hz)
        self.loudness_min_db = float(c.loudness_min_db)
        self.loudness_max_db = float(c.loudness_max_db)
        self.gru_size = c.gru_size
        # dataset statistics, set before training (set_normalisation) and stored in exports
        self.register_buffer("f0_midi_mean", torch.tensor(60.0))
        self.register_buffer("f0_midi_std", torch.tensor(12.0))
        self.register_buffer("loudness_mean", torch.tensor(-40.0))
        self.register_buffer("loudness_std", torch.tensor(20.0))

    def set_normalisation(self, f0_midi_mean, f0_midi_std, loudness_mean, loudness_std):
        self.f0_midi_mean.fill_(float(f0_midi_mean))
        self.f0_midi_std.fill_(max(float(f0_midi_std), 1e-3))
        self.loudness_mean.fill_(float(loudness_mean))
        self.loudness_std.fill_(max(float(loudness_std), 1e-3))

    def normalise(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor):
        f0 = f0_hz.clamp(self.f0_min_hz, self.f0_max_hz)
        midi = 69.0 + 12.0 * torch.log2(f0 / 440.0)
        f0_norm = (midi - self.f0_midi_mean) / self.f0_midi_std
        ld = loudness_db.clamp(self.loudness_min_db, self.loudness_max_db)
        ld_norm = (ld - self.loudness_mean) / self.loudness_std
        return f0_norm, ld_norm

    def forward(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor,
                state: Optional[torch.Tensor] = None):
        """f0_hz, loudness_db: [B, F]. state: [1, B, G] GRU hidden or None (zeros).
        Returns raw controls [B, F, 1+K+B] and the new state."""
        f0_norm, ld_norm = self.normalise(f0_hz, loudness_db)
        x_f = self.mlp_f(f0_norm.unsqueeze(-1))
        x_l = self.mlp_l(ld_norm.unsqueeze(-1))
        h, state = self.gru(torch.cat([x_f, x_l], dim=-1), state)
        y = self.mlp_o(torch.cat([h, x_f, x_l], dim=-1))
        return self.head(y), state


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def midi_to_hz(midi: float) -> float:
    return 440.0 * math.pow(2.0, (midi - 69.0) / 12.0)
