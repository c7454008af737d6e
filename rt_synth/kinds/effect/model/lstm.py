"""Per-sample recurrent effect model (Wright et al. 2020; GuitarML): an LSTM over the input
samples and a linear head, plus the input itself when skip is on, so that the network
learns the difference the device makes. Streams with its (h, c) state."""
from __future__ import annotations

from typing import Tuple

import torch
from torch import nn


class LSTMEffect(nn.Module):
    def __init__(self, hidden_size: int, num_layers: int = 1, skip: bool = True):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)
        self.skip = skip

    def initial_state(self, batch: int) -> Tuple[torch.Tensor, torch.Tensor]:
        z = torch.zeros(self.lstm.num_layers, batch, self.lstm.hidden_size,
                        dtype=self.head.weight.dtype, device=self.head.weight.device)
        return z, z.clone()

    def step(self, x: torch.Tensor, state: Tuple[torch.Tensor, torch.Tensor]):
        """x [B, N] → (y [B, N], new state): N samples continuing from `state`."""
        h, new = self.lstm(x[..., None], state)
        y = self.head(h)[..., 0]
        if self.skip:
            y = y + x
        return y, new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, N] → y [B, N], from a zero state."""
        return self.step(x, self.initial_state(x.shape[0]))[0]
